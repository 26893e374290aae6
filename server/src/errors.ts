/**
 * The gateway's own error: a stable code (the proxy's `code`, the typed client's `data.gatewayCode`), a
 * message that names what was wrong, and optional facts (table, column, rows written before a failure).
 *
 * Every failure that leaves the router is turned into one of these by {@link toGatewayError}, so the three
 * entry points (tRPC, JSON proxy, MCP) report the same code and text for the same mistake.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { classifyGristFailure, errorStatus, formatZodIssues, type ErrorCode } from '@grist-gateway/shared';
import { GristError } from './backend/errors.js';
import { AuthError } from './auth/index.js';

/** Facts a caller can act on, sent along with the message. */
export interface GatewayErrorDetails {
  /** The table the failure is about. */
  table?: string;
  /** The column the failure is about. */
  column?: string;
  /** Valid choices, e.g. the table's column ids when an unknown one was named. */
  valid?: string[];
  /** For a bulk write that failed partway: ids written before the failure. */
  written_ids?: number[];
  /** Grist's own status for a GRIST_ERROR. */
  grist_status?: number;
  /** For RATE_LIMITED: seconds to wait before retrying (also sent as `Retry-After`). */
  retry_after?: number;
}

/** A failure with a stable {@link ErrorCode}. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';

  constructor(
    /** Stable machine-readable code. */
    readonly code: ErrorCode,
    message: string,
    /** Optional structured facts. */
    readonly details?: GatewayErrorDetails,
    /** The original failure (kept for server-side logs, never sent to callers). */
    cause?: unknown,
    /** The HTTP status when it is not the code's default (a GRIST_ERROR is 400, 403 or 502). */
    readonly httpStatus?: number,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }

  /** The HTTP status of this error on the JSON proxy. */
  get status(): number {
    return this.httpStatus ?? errorStatus(this.code);
  }
}

/** The tRPC code carrying each gateway code over `/trpc` (HTTP status follows from it). */
const trpcCodeFor: Record<ErrorCode, TRPCError['code']> = {
  INVALID_TOKEN: 'UNAUTHORIZED',
  TOKEN_EXPIRED: 'UNAUTHORIZED',
  UNAUTHORIZED: 'FORBIDDEN',
  INVALID_REQUEST: 'BAD_REQUEST',
  NOT_FOUND: 'NOT_FOUND',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  GRIST_ERROR: 'BAD_GATEWAY',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_ERROR: 'INTERNAL_SERVER_ERROR',
};

/** tRPC codes for the statuses a GRIST_ERROR can have besides its default 502. */
const trpcCodeForStatus: Readonly<Record<number, TRPCError['code']>> = { 400: 'BAD_REQUEST', 403: 'FORBIDDEN', 502: 'BAD_GATEWAY' };

/** Wraps a gateway error as a TRPCError (the original stays as `cause`, read back by {@link toGatewayError}). */
export function toTrpcError(err: GatewayError): TRPCError {
  const code = (err.httpStatus !== undefined ? trpcCodeForStatus[err.httpStatus] : undefined) ?? trpcCodeFor[err.code];
  return new TRPCError({ code, message: err.message, cause: err });
}

/** Grist texts that mean "you named something that does not exist". */
const NOT_FOUND_PATTERNS: readonly RegExp[] = [
  /^Table not found/,
  /Invalid column "/,
  /\bKeyError '/,
  /unknown key/i,
  /^Attachment not found/,
  /^Invalid row id/,
  /column not found/i,
  /^Column .* not found/,
  /document not found/,
  /is not configured/,
];

/**
 * Grist texts of 5xx answers that are the request's fault, not Grist's: Grist answers these bad requests
 * with 500 (grist-api.md section 11), and a 5xx would make clients retry them forever.
 */
const REQUEST_FAULT_PATTERNS: readonly RegExp[] = [
  /^SQLITE_RANGE/,
  /^SQLITE_ERROR/,
  /AttributeError module 'grist' has no attribute/,
  /^limit is not a number/,
  /^invalid column id /,
  /is not assignable to type/,
];

/** Maps a backend failure to a gateway error, keeping Grist's message ({@link classifyGristFailure}). */
export function fromGristError(err: GristError): GatewayError {
  const details: GatewayErrorDetails = { grist_status: err.status };
  if (err.extra?.table) details.table = err.extra.table;
  if (err.extra?.column) details.column = err.extra.column;
  if (err.extra?.writtenIds) details.written_ids = err.extra.writtenIds;
  if (err.extra?.retryAfterSeconds !== undefined) details.retry_after = err.extra.retryAfterSeconds;
  const userError = typeof err.details?.userError === 'string' ? err.details.userError : undefined;
  const message = userError && userError !== err.message ? `${err.message}: ${userError}` : err.message;
  const kind = err.extra?.kind;
  const origin = kind === 'timeout' || kind === 'unavailable' ? 'unreachable' : kind === 'malformed' || kind === 'route' ? 'malformed' : 'answer';
  const text = `${err.message} ${userError ?? ''}`;
  const callerFault = NOT_FOUND_PATTERNS.some((p) => p.test(err.message))
    ? 'not_found'
    : REQUEST_FAULT_PATTERNS.some((p) => p.test(text))
      ? 'request'
      : 'none';
  // Grist's 400 "Invalid column" etc. are NOT_FOUND too; a 4xx access refusal stays GRIST_ERROR 403.
  const cls = classifyGristFailure(origin, err.status, err.status === 403 ? 'none' : callerFault);
  return new GatewayError(cls.code, message, details, undefined, cls.status === errorStatus(cls.code) ? undefined : cls.status);
}

/**
 * Turns anything thrown inside the router into a {@link GatewayError}: our own errors pass through,
 * tRPC input validation becomes INVALID_REQUEST naming each field, backend errors keep Grist's text.
 * Unknown errors become INTERNAL_ERROR with a generic message (their text may hold internals).
 */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof TRPCError) {
    if (err.cause instanceof GatewayError) return err.cause;
    if (err.cause instanceof GristError) return fromGristError(err.cause);
    if (err.cause instanceof AuthError) return new GatewayError(err.cause.code, err.cause.message);
    if (err.cause instanceof z.ZodError) {
      // tRPC reports a failed output check as INTERNAL_SERVER_ERROR: the answer (from Grist, or the engine
      // standing in for it) did not have the promised shape. That is never the caller's fault.
      if (err.code === 'INTERNAL_SERVER_ERROR') {
        return new GatewayError('GRIST_ERROR', `unexpected answer from Grist: ${formatZodIssues(err.cause)}`, undefined, err);
      }
      return new GatewayError('INVALID_REQUEST', `Invalid request: ${formatZodIssues(err.cause)}`);
    }
    if (err.code === 'BAD_REQUEST' || err.code === 'PARSE_ERROR') return new GatewayError('INVALID_REQUEST', err.message);
    // tRPC protocol errors (wrong verb, wrong content type, ...): the request is wrong, not the gateway.
    if (err.code === 'METHOD_NOT_SUPPORTED' || err.code === 'UNSUPPORTED_MEDIA_TYPE' || err.code === 'UNPROCESSABLE_CONTENT') {
      return new GatewayError('INVALID_REQUEST', err.message);
    }
    if (err.code === 'TOO_MANY_REQUESTS') return new GatewayError('RATE_LIMITED', err.message);
    if (err.code === 'NOT_FOUND') return new GatewayError('NOT_FOUND', err.message);
    if (err.code === 'UNAUTHORIZED') return new GatewayError('INVALID_TOKEN', err.message);
    if (err.code === 'FORBIDDEN') return new GatewayError('UNAUTHORIZED', err.message);
    if (err.code === 'PAYLOAD_TOO_LARGE') return new GatewayError('PAYLOAD_TOO_LARGE', err.message);
    if (err.cause) return toGatewayError(err.cause);
    return new GatewayError('INTERNAL_ERROR', 'Internal error', undefined, err);
  }
  if (err instanceof GristError) return fromGristError(err);
  if (err instanceof AuthError) return new GatewayError(err.code, err.message);
  if (err instanceof z.ZodError) return new GatewayError('INVALID_REQUEST', `Invalid request: ${formatZodIssues(err)}`);
  return new GatewayError('INTERNAL_ERROR', 'Internal error', undefined, err);
}
