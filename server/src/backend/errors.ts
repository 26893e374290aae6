/**
 * The one error type every backend throws for a failed document operation.
 *
 * It carries the HTTP status and the error text exactly as Grist would answer them (see
 * `shared/grist-api.md` section 11), so that the embedded engine's REST API can send it unchanged and the
 * gateway can map it to its own stable codes (404 -> NOT_FOUND, 400 -> GRIST_ERROR, ...).
 */
export class GristError extends Error {
  override readonly name = 'GristError';

  constructor(
    /** HTTP status Grist uses for this failure (400, 404, 413, 500, ...). */
    readonly status: number,
    /** Grist's error text, e.g. `Table not found "Nope"`. */
    message: string,
    /** Grist's `details` object, e.g. `{ userError: "Error: body.records is not an array" }`. */
    readonly details?: { userError?: string; [key: string]: unknown },
    /** Extra facts for callers (never sent by the Grist-compatible REST API). */
    readonly extra?: GristErrorExtra,
  ) {
    super(message);
  }

  /** The JSON body Grist sends for this error. */
  toJSON(): { error: string; details?: GristError['details'] } {
    return this.details ? { error: this.message, details: this.details } : { error: this.message };
  }
}

/** Structured facts about a failure that callers can act on. */
export interface GristErrorExtra {
  /** What kind of thing was not found or invalid. */
  kind?:
    | 'document' | 'table' | 'column' | 'row' | 'attachment' | 'sql' | 'payload' | 'timeout' | 'unavailable'
    /** Grist's answer could not be read, or had the wrong shape (a Grist malfunction: 502). */
    | 'malformed'
    /** This Grist server lacks an endpoint the gateway needs (an older version: 502, naming the version). */
    | 'route';
  /** The table the failure is about. */
  table?: string;
  /** The column the failure is about. */
  column?: string;
  /** For a bulk write that failed partway: ids of the rows that were written before the failure. */
  writtenIds?: number[];
  /** For a bulk write that failed partway: indexes (in the request) of the records not written. */
  notWritten?: number[];
  /** For a 429: seconds after which a retry may succeed (the `Retry-After` header). */
  retryAfterSeconds?: number;
}

/** `true` when `err` is a {@link GristError}. */
export function isGristError(err: unknown): err is GristError {
  return err instanceof GristError;
}
