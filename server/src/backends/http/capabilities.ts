/**
 * What one Grist document lets the gateway do, learned from its answers, so that the reads and writes
 * modules ask here instead of each testing statuses:
 *
 * - `sql`: `POST /sql` is refused with 403 to any user who cannot copy the whole document, i.e. as soon
 *   as an access rule hides anything from the API key's user. Reads then go through `GET /records`. The
 *   refusal is re-checked after {@link DEFAULT_SQL_RECHECK_MS}, since access rules can change.
 * - `recordsDelete` (`POST /records/delete`, Grist >= 1.7.5) and `recordsList` (`POST /records/list`,
 *   Grist >= 1.7.14): an older server answers 404 `not found: /api/...` for the route; the gateway then
 *   uses `POST /apply` with `BulkRemoveRecord`, or `GET /records`, for this document from then on.
 * - the request byte budget of bulk writes: Grist's JSON body limit is 1 MB by default; a 413 lowers the
 *   budget for the document (nothing was written, so the write is retried in smaller chunks).
 *
 * Every other endpoint the backend uses exists since Grist 1.1 (`/tables`, `/columns`, `/records`,
 * `/apply`, `/attachments`, `/sql`).
 */
import { GristError } from '../../backend/errors.js';

/** A feature the gateway learns per document. */
export type Feature = 'sql' | 'recordsDelete' | 'recordsList';

/** The Grist version that introduced each optional endpoint, for messages. */
export const FEATURE_SINCE: Readonly<Record<Feature, { endpoint: string; since: string }>> = {
  sql: { endpoint: 'POST /sql', since: '1.0' },
  recordsDelete: { endpoint: 'POST /records/delete', since: '1.7.5' },
  recordsList: { endpoint: 'POST /records/list', since: '1.7.14' },
};

/** How long a 403 from `/sql` is trusted before `/sql` is tried again. */
export const DEFAULT_SQL_RECHECK_MS = 5 * 60_000;

/** Grist's JSON body limit: 1,048,576 bytes accepted, one more refused with 413 (measured on grist-core 1.7.17). */
export const GRIST_JSON_LIMIT_BYTES = 1024 * 1024;

/** Default byte budget of one write request: Grist's limit itself (chunk sizes are counted exactly in UTF-8). */
export const DEFAULT_MAX_REQUEST_BYTES = GRIST_JSON_LIMIT_BYTES;

/** The smallest budget a 413 can push the document to. */
const MIN_REQUEST_BYTES = 16 * 1024;

/** Settings of {@link DocCapabilities}. */
export interface CapabilityOptions {
  /** Byte budget of one write request (config `max_request_bytes`). */
  maxRequestBytes?: number | undefined;
  /** How long a `/sql` refusal is remembered. */
  sqlRecheckMs?: number | undefined;
  /** Clock (tests). */
  now?: () => number;
}

/** `true` when Grist answered that it has no such route: an older server, not an unknown table. */
export function isMissingRoute(err: unknown): boolean {
  return err instanceof GristError && (err.status === 404 || err.status === 405) && err.extra?.kind === 'route';
}

/** `true` when Grist refused the request because of access rules (or rights) of the API key's user. */
export function isAccessRefusal(err: unknown): boolean {
  return err instanceof GristError && err.status === 403;
}

/** `true` when Grist refused a request body as too large: nothing was applied. */
export function isTooLarge(err: unknown): boolean {
  return err instanceof GristError && err.status === 413;
}

/** What one document turned out to support. */
export class DocCapabilities {
  readonly #missing = new Map<Feature, { since: number; reason: string }>();
  readonly #recheckMs: number;
  readonly #now: () => number;
  #requestBytes: number;

  constructor(options: CapabilityOptions = {}) {
    const bytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    if (!Number.isInteger(bytes) || bytes < MIN_REQUEST_BYTES) {
      throw new RangeError(`maxRequestBytes must be an integer >= ${MIN_REQUEST_BYTES}, got ${bytes}`);
    }
    this.#requestBytes = bytes;
    this.#recheckMs = options.sqlRecheckMs ?? DEFAULT_SQL_RECHECK_MS;
    this.#now = options.now ?? Date.now;
  }

  /** `true` unless the feature is known to be missing (a `/sql` refusal expires after the re-check time). */
  has(feature: Feature): boolean {
    const missing = this.#missing.get(feature);
    if (!missing) return true;
    if (feature === 'sql' && this.#now() - missing.since >= this.#recheckMs) {
      this.#missing.delete(feature);
      return true;
    }
    return false;
  }

  /** Remembers that the feature is missing or refused, with Grist's reason. */
  lacks(feature: Feature, reason: string): void {
    this.#missing.set(feature, { since: this.#now(), reason });
  }

  /** Why the feature is unavailable, or undefined. */
  reason(feature: Feature): string | undefined {
    return this.#missing.get(feature)?.reason;
  }

  /** A snapshot for tests, logs and `/health`-like reports. */
  snapshot(): { missing: Feature[]; maxRequestBytes: number } {
    return { missing: [...this.#missing.keys()].filter((f) => this.has(f) === false), maxRequestBytes: this.#requestBytes };
  }

  /** Byte budget of one write request. */
  get maxRequestBytes(): number {
    return this.#requestBytes;
  }

  /**
   * After a 413 for a request of `sentBytes`: the next budget (half of what was sent, never below 16 KB),
   * remembered for the document. Undefined when the request was already at the floor (give up).
   */
  shrinkAfter413(sentBytes: number): number | undefined {
    if (sentBytes <= MIN_REQUEST_BYTES) return undefined;
    const next = Math.max(MIN_REQUEST_BYTES, Math.floor(Math.min(sentBytes, this.#requestBytes) / 2));
    this.#requestBytes = Math.min(this.#requestBytes, next);
    return next;
  }

  /** The error to report when an endpoint is missing and no fallback exists. */
  missingError(feature: Feature, err: GristError): GristError {
    const { endpoint, since } = FEATURE_SINCE[feature];
    return new GristError(
      err.status,
      `this Grist server lacks ${endpoint} (added in Grist ${since}); upgrade Grist: ${err.message}`,
      err.details,
      { ...err.extra, kind: 'route' },
    );
  }
}
