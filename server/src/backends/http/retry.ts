/**
 * When and how long to wait before retrying a request.
 *
 * Only idempotent requests are retried (GET, PATCH, PUT, POST /sql, POST /records/list): repeating them
 * cannot duplicate rows. A POST that adds rows is never retried, because a lost answer does not tell
 * whether Grist applied it.
 */

/** Statuses worth retrying: Grist's rate limit (429) and "document in flux"/overload (503). */
const RETRYABLE_STATUS = new Set([429, 503]);

/** Retry settings. */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = never retry). */
  retries: number;
  /** First backoff in ms; doubles per attempt, with full jitter. */
  baseDelayMs: number;
  /** Upper bound of one wait, also for a server's `Retry-After`. */
  maxDelayMs: number;
}

/** Defaults: 3 retries, 250 ms, 500 ms, 1 s (each jittered), never more than 5 s per wait. */
export const defaultRetryPolicy: RetryPolicy = { retries: 3, baseDelayMs: 250, maxDelayMs: 5000 };

/** `true` when a request of this method and path can safely be sent twice. */
export function isIdempotent(method: string, path: string): boolean {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD' || m === 'PATCH' || m === 'PUT') return true;
  if (m === 'POST') return path.endsWith('/sql') || path.endsWith('/records/list');
  return false;
}

/** `true` when an answer with this status may succeed when repeated. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/**
 * How long to wait before retry number `attempt` (0-based): `Retry-After` (seconds) when the server sent
 * one, else exponential backoff with full jitter, so that many clients do not retry in lockstep.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfter?: string, random: () => number = Math.random): number {
  const seconds = retryAfter === undefined ? NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, policy.maxDelayMs);
  const ceiling = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
