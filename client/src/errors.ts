/**
 * Typed errors of the client: every failed call rejects with a {@link GatewayClientError} carrying the
 * gateway's stable `code` (the same codes the JSON proxy reports), its message and its details.
 */
import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from './router.js';

/** The stable error codes of the gateway (same as the JSON proxy's `code`). */
export type GatewayErrorCode =
  | 'INVALID_TOKEN'
  | 'TOKEN_EXPIRED'
  | 'UNAUTHORIZED'
  | 'INVALID_REQUEST'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'GRIST_ERROR'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL_ERROR';

/** Every {@link GatewayErrorCode}, e.g. to validate a code read from elsewhere. */
export const gatewayErrorCodes: readonly GatewayErrorCode[] = [
  'INVALID_TOKEN',
  'TOKEN_EXPIRED',
  'UNAUTHORIZED',
  'INVALID_REQUEST',
  'NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'GRIST_ERROR',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL_ERROR',
];

/** Facts about a failure (the server's `details`); the known fields are typed, others may appear. */
export interface GatewayErrorDetails {
  /** The table the failure is about. */
  table?: string;
  /** The column the failure is about. */
  column?: string;
  /** Valid choices, e.g. the table's column ids when an unknown one was named. */
  valid?: string[];
  /** For a write that failed partway on the server: ids written before the failure. */
  written_ids?: number[];
  /** Grist's own HTTP status for a `GRIST_ERROR`. */
  grist_status?: number;
  [key: string]: unknown;
}

/** The error shape the gateway's tRPC error formatter sends (`error.shape`). */
export interface GatewayErrorShape {
  message: string;
  code: number;
  data: {
    /** tRPC's code, e.g. `FORBIDDEN`. */
    code: string;
    httpStatus: number;
    path: string | undefined;
    /** The gateway's stable code. */
    gatewayCode: GatewayErrorCode;
    details: GatewayErrorDetails | null;
  };
}

function isGatewayErrorCode(value: unknown): value is GatewayErrorCode {
  return typeof value === 'string' && (gatewayErrorCodes as readonly string[]).includes(value);
}

/** A code for a failure that never got a gateway answer (network, unparsable response). */
function codeWithoutAnswer(err: TRPCClientError<AppRouter>): GatewayErrorCode {
  const status = (err.meta?.response as { status?: unknown } | undefined)?.status;
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 429) return 'RATE_LIMITED';
  // No response at all: the gateway is unreachable, which a retry may fix.
  if (err.shape === undefined && err.cause !== undefined) return 'UNAVAILABLE';
  return 'INTERNAL_ERROR';
}

/**
 * A failed gateway call. It is a `TRPCClientError` (so tRPC's own helpers keep working) with the
 * gateway's stable {@link code} and {@link details} on top.
 */
export class GatewayClientError extends TRPCClientError<AppRouter> {
  /** Stable code, the same as the JSON proxy's. */
  readonly code: GatewayErrorCode;
  /** Facts like table, column, rows written before a failure; `null` when there are none. */
  readonly details: GatewayErrorDetails | null;

  /**
   * Wraps a tRPC client error (keeps its shape, data, meta and cause). `url` is the address that was
   * called: a failure without an answer (server down, DNS, refused connection) names it and its cause.
   */
  constructor(err: TRPCClientError<AppRouter>, url?: string) {
    const data = err.data as Partial<GatewayErrorShape['data']> | null | undefined;
    const code = isGatewayErrorCode(data?.gatewayCode) ? data.gatewayCode : codeWithoutAnswer(err);
    const message = code === 'UNAVAILABLE' && err.shape === undefined ? unreachableMessage(url, err.cause) : err.message;
    super(message, { ...(err.shape ? { result: { error: err.shape } } : {}), ...(err.cause ? { cause: err.cause } : {}), ...(err.meta ? { meta: err.meta } : {}) });
    // TRPCClientError's constructor pins the prototype to its own class; restore ours so `instanceof` works.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'GatewayClientError';
    this.code = code;
    this.details = data?.details ?? null;
    if (err.stack) this.stack = message === err.message ? err.stack : err.stack.replace(err.message, message);
  }

  /**
   * Turns anything a client call threw into a {@link GatewayClientError} (returned as is when it is one).
   * `url`: the address called, named in the message when the gateway could not be reached.
   */
  static fromUnknown(err: unknown, url?: string): GatewayClientError {
    if (err instanceof GatewayClientError) return err;
    if (err instanceof TRPCClientError) return new GatewayClientError(err as TRPCClientError<AppRouter>, url);
    return new GatewayClientError(TRPCClientError.from<AppRouter>(err instanceof Error ? err : new Error(String(err))), url);
  }

  /**
   * The error for a gateway answer outside tRPC (the attachment and types endpoints): the JSON proxy's
   * `{success: false, error, code, details?}` body, or the HTTP status when the body is not that.
   */
  static fromAnswer(status: number, body: unknown, url: string, cause?: Error): GatewayClientError {
    const answer = (body && typeof body === 'object' ? body : {}) as { error?: unknown; code?: unknown; details?: unknown };
    const code: GatewayErrorCode = isGatewayErrorCode(answer.code)
      ? answer.code
      : status === 404 ? 'NOT_FOUND' : status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 429 ? 'RATE_LIMITED' : status === 503 ? 'UNAVAILABLE' : 'INTERNAL_ERROR';
    const message = typeof answer.error === 'string' ? answer.error : `${url} answered HTTP ${status}`;
    const details = answer.details && typeof answer.details === 'object' ? (answer.details as GatewayErrorDetails) : null;
    const shape: GatewayErrorShape = {
      message,
      code: -32000,
      data: { code, httpStatus: status, path: undefined, gatewayCode: code, details },
    };
    return new GatewayClientError(new TRPCClientError<AppRouter>(message, { result: { error: shape }, ...(cause ? { cause } : {}) }), url);
  }
}

/** The innermost useful text of a network failure: `connect ECONNREFUSED 127.0.0.1:3000`, `getaddrinfo ENOTFOUND x`. */
function networkCause(cause: unknown): string {
  let text = '';
  const seen = new Set<unknown>();
  for (let current: unknown = cause; current instanceof Error && !seen.has(current); current = current.cause) {
    seen.add(current);
    const errno = current as Error & { code?: unknown; errors?: unknown };
    // Connecting to a name with several addresses fails with an AggregateError whose message is empty.
    const nested = Array.isArray(errno.errors)
      ? errno.errors.filter((e): e is Error => e instanceof Error).map((e) => e.message).filter(Boolean).join('; ')
      : '';
    const own = current.message || nested || (typeof errno.code === 'string' ? errno.code : '');
    if (own) text = own;
  }
  return text || 'no answer';
}

/** `UNAVAILABLE: cannot reach http://127.0.0.1:3000/trpc: connect ECONNREFUSED 127.0.0.1:3000`. */
export function unreachableMessage(url: string | undefined, cause: unknown): string {
  return `UNAVAILABLE: cannot reach ${url ?? 'the gateway'}: ${networkCause(cause)}`;
}

/**
 * Reads the gateway's code, message and details out of an error thrown by a client call; `undefined` for
 * errors that did not come from a client call. Kept for scripts written before calls rejected with
 * {@link GatewayClientError} directly (`err instanceof GatewayClientError` does the same).
 */
export function gatewayError(err: unknown): GatewayClientError | undefined {
  if (err instanceof GatewayClientError) return err;
  if (err instanceof TRPCClientError) return new GatewayClientError(err as TRPCClientError<AppRouter>);
  if (err instanceof Error && err.cause !== undefined && err.cause !== err) return gatewayError(err.cause);
  return undefined;
}

/**
 * A tRPC link that rejects every failed call with a {@link GatewayClientError}. `options.url` (the tRPC
 * endpoint) is named in the message when the gateway cannot be reached.
 */
export function gatewayErrorLink(options: { url?: string } = {}): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          error: (err) => observer.error(GatewayClientError.fromUnknown(err, options.url)),
          complete: () => observer.complete(),
        }),
      );
}
