/**
 * Read-ahead of sorted pages, revalidated by the document's version.
 *
 * Without an index on the sort columns (Grist creates none), every sorted page statement scans and sorts
 * the whole table inside Grist, while an id-ordered page reads just its rows. So a sorted page statement
 * fetches a few pages at once; the rows beyond the requested page are kept here with the document version
 * they were read at (Grist's latest action hash, read by the same statement). The next page of that walk is
 * answered from them only after a statement of its own confirms that the version is unchanged: no action
 * was applied to the document since, so a fresh statement would return exactly these rows. Any change
 * (a write by anyone, a schema change) moves the version, and the page is read afresh.
 *
 * Bounded: at most {@link MAX_READ_AHEAD_ROWS} rows per document (oldest walks dropped first), each kept for
 * at most {@link READ_AHEAD_TTL_MS}.
 */
import type { CellValue, GristRecord, SortedPage, SortPosition } from '../../backend/types.js';

/** Pages read per sorted page statement (the requested one and the next ones). */
export const READ_AHEAD_PAGES = 4;

/** Rows fetched ahead by one statement at most (larger pages get no read-ahead). */
export const MAX_READ_AHEAD_FETCH = 4000;

/** Rows kept per document at most. */
export const MAX_READ_AHEAD_ROWS = 20_000;

/** How long kept rows may be used (they are revalidated anyway; this bounds memory held for idle walks). */
export const READ_AHEAD_TTL_MS = 60_000;

/** What identifies a walk: table, filter and sort. */
export interface WalkQuery {
  table: string;
  filter?: Record<string, CellValue[]> | undefined;
  sort: string;
}

/** Rows read ahead for one walk, after some position. */
interface Entry {
  walk: string;
  version: string;
  records: GristRecord[];
  positions: SortPosition[];
  /** The rows reach the end of the (filtered) table. */
  complete: boolean;
  at: number;
}

/** A page answerable from read-ahead rows, pending the version check. */
export interface ReadAheadHit {
  version: string;
  page: SortedPage;
}

function walkKey(query: WalkQuery): string {
  return JSON.stringify([query.table, query.filter ?? null, query.sort]);
}

function samePosition(a: SortPosition, b: SortPosition): boolean {
  return a.id === b.id && JSON.stringify(a.values ?? []) === JSON.stringify(b.values ?? []);
}

/** Read-ahead rows of one document. */
export class ReadAhead {
  readonly #entries: Entry[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Rows to fetch for a page of `limit`: a few pages, or just the page when pages are large. */
  fetchLimit(limit: number): number {
    return limit * READ_AHEAD_PAGES <= MAX_READ_AHEAD_FETCH ? limit * READ_AHEAD_PAGES : limit;
  }

  /** The page of `limit` rows after `after`, when kept rows cover it (its version still to be checked). */
  find(query: WalkQuery, after: SortPosition, limit: number): ReadAheadHit | undefined {
    this.#expire();
    const walk = walkKey(query);
    for (const entry of this.#entries) {
      if (entry.walk !== walk) continue;
      const index = entry.positions.findIndex((p) => samePosition(p, after));
      if (index < 0) continue;
      const end = index + 1 + limit;
      if (end > entry.records.length && !entry.complete) continue;
      return {
        version: entry.version,
        page: { records: entry.records.slice(index + 1, end), positions: entry.positions.slice(index + 1, end) },
      };
    }
    return undefined;
  }

  /** Keeps the rows read beyond the requested page (`page` holds them all, from the requested page on). */
  keep(query: WalkQuery, version: string, page: SortedPage, complete: boolean): void {
    this.#expire();
    const walk = walkKey(query);
    // One entry per walk: the newest read replaces the older one.
    const old = this.#entries.findIndex((e) => e.walk === walk);
    if (old >= 0) this.#entries.splice(old, 1);
    this.#entries.push({ walk, version, records: page.records, positions: page.positions, complete, at: this.now() });
    let rows = this.#entries.reduce((n, e) => n + e.records.length, 0);
    while (rows > MAX_READ_AHEAD_ROWS && this.#entries.length > 0) rows -= this.#entries.shift()?.records.length ?? 0;
  }

  /** Drops the rows of a table (or all), e.g. after a schema change made through this gateway. */
  forget(table?: string): void {
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      if (table === undefined || (JSON.parse((this.#entries[i] as Entry).walk) as unknown[])[0] === table) this.#entries.splice(i, 1);
    }
  }

  #expire(): void {
    const now = this.now();
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      if (now - (this.#entries[i] as Entry).at >= READ_AHEAD_TTL_MS) this.#entries.splice(i, 1);
    }
  }
}
