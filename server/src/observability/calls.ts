/**
 * The one per-call hook: every method call, whatever its entry point (JSON proxy, tRPC, MCP), ends here
 * once, from the router's base middleware in `trpc.ts`. It writes the call's log line and, when metrics
 * are on, counts it; both read the same {@link CallRecord}, so logs and metrics never disagree.
 *
 * The log line carries the agent's name, the document, the method, the rows handled, the status (with the
 * error code) and the duration. Never a token: the agent is named, the session token never appears.
 */
import type { ErrorCode } from '@grist-gateway/shared';
import type { Logger } from '../log.js';
import type { GatewayMetrics } from './metrics.js';

/** Where a call came in. */
export type CallEntry = 'trpc' | 'proxy' | 'mcp' | 'internal';

/** One finished method call. */
export interface CallRecord {
  entry: CallEntry;
  /** Name of the agent behind the call (through its own token or a session it minted); null when unknown. */
  agent: string | null;
  /** The session's document, or the `document` argument of an agent-token call; null for agent methods. */
  document: string | null;
  /** Wire name of the method. */
  method: string;
  /** Rows (or tables, columns, documents) the call handled, when that means something. */
  rows?: number | undefined;
  status: 'ok' | 'error';
  /** The stable error code of a failed call. */
  code?: ErrorCode | undefined;
  durationMs: number;
  /** The cause of an INTERNAL_ERROR, logged with its stack (never sent to the caller). */
  error?: unknown;
}

/** What the hook needs from the gateway's services. */
export interface CallObservers {
  logger: Logger;
  metrics?: GatewayMetrics | undefined;
}

/** Longest document name written to a log line (a `document` argument comes from the caller). */
const MAX_DOCUMENT_CHARS = 100;

/**
 * The number of rows a call handled, from its result (rows read or written) or else its input (rows
 * sent): arrays under the usual keys, or the `updated` / `deleted` counts.
 */
export function rowsOf(input: unknown, data: unknown): number | undefined {
  for (const source of [data, input]) {
    if (source && typeof source === 'object') {
      const o = source as Record<string, unknown>;
      for (const key of ['records', 'record_ids', 'tables', 'columns', 'documents'] as const) {
        const value = o[key];
        if (Array.isArray(value)) return value.length;
      }
      for (const key of ['updated', 'deleted'] as const) {
        if (typeof o[key] === 'number') return o[key];
      }
    }
  }
  return undefined;
}

/** The `document` argument of a raw input, when it is a string (cut to a sane length for logs). */
export function documentArgument(raw: unknown): string | null {
  if (!raw || typeof raw !== 'object') return null;
  const value = (raw as { document?: unknown }).document;
  if (typeof value !== 'string') return null;
  return value.length > MAX_DOCUMENT_CHARS ? `${value.slice(0, MAX_DOCUMENT_CHARS)}…` : value;
}

/** A document whose latest call found its backend unreachable. */
export interface DocumentFailure {
  /** The error code of that call (`UNAVAILABLE`). */
  code: ErrorCode;
  /** When it failed (ISO 8601). */
  at: string;
}

/** Codes that say the document itself cannot be reached, as opposed to a bad request. */
const UNREACHABLE_CODES: ReadonlySet<ErrorCode> = new Set(['UNAVAILABLE']);

/** Per gateway (keyed by its services object): documents whose latest call found them unreachable. */
const failures = new WeakMap<object, Map<string, DocumentFailure>>();

/** The documents whose latest call found them unreachable (for /health), by name. */
export function unreachableDocuments(observers: CallObservers): ReadonlyMap<string, DocumentFailure> {
  return failures.get(observers) ?? new Map();
}

/** Remembers whether the document answered, so /health can report it without calling it. */
function trackReachability(observers: CallObservers, call: CallRecord): void {
  if (call.document === null) return;
  let known = failures.get(observers);
  if (call.status === 'error' && call.code !== undefined && UNREACHABLE_CODES.has(call.code)) {
    if (!known) failures.set(observers, (known = new Map()));
    // Bounded: only names of configured documents reach a backend and can be unreachable.
    known.set(call.document, { code: call.code, at: new Date().toISOString() });
  } else if (call.status === 'ok') {
    known?.delete(call.document);
  }
}

/** Logs and counts one finished call. Internal errors are logged at `error` with their cause. */
export function recordCall(observers: CallObservers, call: CallRecord): void {
  const { error, ...fields } = call;
  const line = { ...fields, durationMs: Math.round(call.durationMs * 100) / 100 };
  if (call.status === 'error' && call.code === 'INTERNAL_ERROR') observers.logger.error({ ...line, err: error }, 'call');
  else observers.logger.info(line, 'call');
  observers.metrics?.observeCall(call);
  trackReachability(observers, call);
}
