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

  /** Wraps a tRPC client error (keeps its shape, data, meta and cause). */
  constructor(err: TRPCClientError<AppRouter>) {
    super(err.message, { ...(err.shape ? { result: { error: err.shape } } : {}), ...(err.cause ? { cause: err.cause } : {}), ...(err.meta ? { meta: err.meta } : {}) });
    // TRPCClientError's constructor pins the prototype to its own class; restore ours so `instanceof` works.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'GatewayClientError';
    const data = err.data as Partial<GatewayErrorShape['data']> | null | undefined;
    this.code = isGatewayErrorCode(data?.gatewayCode) ? data.gatewayCode : codeWithoutAnswer(err);
    this.details = data?.details ?? null;
    if (err.stack) this.stack = err.stack;
  }

  /** Turns anything a client call threw into a {@link GatewayClientError} (returned as is when it is one). */
  static fromUnknown(err: unknown): GatewayClientError {
    if (err instanceof GatewayClientError) return err;
    if (err instanceof TRPCClientError) return new GatewayClientError(err as TRPCClientError<AppRouter>);
    return new GatewayClientError(TRPCClientError.from<AppRouter>(err instanceof Error ? err : new Error(String(err))));
  }
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

/** A tRPC link that rejects every failed call with a {@link GatewayClientError}. */
export function gatewayErrorLink(): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          error: (err) => observer.error(GatewayClientError.fromUnknown(err)),
          complete: () => observer.complete(),
        }),
      );
}
