/**
 * Read-ahead of sorted positions, revalidated by the document's version.
 *
 * Without an index on the sort columns (Grist creates none), every sorted statement scans and sorts the
 * whole table inside Grist, while rows named by id are read directly. So one narrow sorted statement reads
 * the positions (id, sort values, manualSort) of the next several pages of a walk; they are kept here with
 * the document version they were read at (Grist's latest action hash, read by the same statement). Each
 * page's rows are then read by id, and that same statement says whether the version is unchanged: only
 * then (no action was applied to the document since, so a sorted statement would give exactly these rows
 * in this order) is the page used. Any change (a write by anyone, a schema change) moves the version, and
 * the positions are read afresh.
 *
 * Bounded: at most {@link MAX_READ_AHEAD_ROWS} positions per document (oldest walks dropped first), each
 * kept for at most {@link READ_AHEAD_TTL_MS}.
 */
import type { CellValue, SortPosition } from '../../backend/types.js';

/** Pages of positions read per narrow sorted statement. */
export const READ_AHEAD_PAGES = 10;

/** Positions read ahead by one statement at most (pages larger than that get no read-ahead). */
export const MAX_READ_AHEAD_FETCH = 10_000;

/** Positions kept per document at most. */
export const MAX_READ_AHEAD_ROWS = 50_000;

/** How long kept positions may be used (they are revalidated anyway; this bounds memory of idle walks). */
export const READ_AHEAD_TTL_MS = 60_000;

/** What identifies a walk: table, filter and sort. */
export interface WalkQuery {
  table: string;
  filter?: Record<string, CellValue[]> | undefined;
  sort: string;
}

/** Positions read ahead for one walk. */
interface Entry {
  walk: string;
  version: string;
  positions: SortPosition[];
  /** The rows reach the end of the (filtered) table. */
  complete: boolean;
  at: number;
}

/** The positions of a page, pending the version check. */
export interface ReadAheadHit {
  version: string;
  positions: SortPosition[];
}

function walkKey(query: WalkQuery): string {
  return JSON.stringify([query.table, query.filter ?? null, query.sort]);
}

function samePosition(a: SortPosition, b: SortPosition): boolean {
  return a.id === b.id && JSON.stringify(a.values ?? []) === JSON.stringify(b.values ?? []);
}

/** Read-ahead positions of one document. */
export class ReadAhead {
  readonly #entries: Entry[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Positions to read for a page of `limit`: several pages, or undefined when pages are too large. */
  fetchLimit(limit: number): number | undefined {
    return limit * READ_AHEAD_PAGES <= MAX_READ_AHEAD_FETCH ? limit * READ_AHEAD_PAGES : undefined;
  }

  /** The positions of the page of `limit` rows after `after`, when kept ones cover it (version unchecked). */
  find(query: WalkQuery, after: SortPosition, limit: number): ReadAheadHit | undefined {
    this.#expire();
    const walk = walkKey(query);
    for (const entry of this.#entries) {
      if (entry.walk !== walk) continue;
      const index = entry.positions.findIndex((p) => samePosition(p, after));
      if (index < 0) continue;
      const end = index + 1 + limit;
      if (end > entry.positions.length && !entry.complete) continue;
      return { version: entry.version, positions: entry.positions.slice(index + 1, end) };
    }
    return undefined;
  }

  /** Keeps positions read for a walk (`complete`: they reach the end of the filtered table). */
  keep(query: WalkQuery, version: string, positions: SortPosition[], complete: boolean): void {
    this.#expire();
    const walk = walkKey(query);
    // One entry per walk: the newest read replaces the older one.
    const old = this.#entries.findIndex((e) => e.walk === walk);
    if (old >= 0) this.#entries.splice(old, 1);
    this.#entries.push({ walk, version, positions, complete, at: this.now() });
    let rows = this.#entries.reduce((n, e) => n + e.positions.length, 0);
    while (rows > MAX_READ_AHEAD_ROWS && this.#entries.length > 0) rows -= this.#entries.shift()?.positions.length ?? 0;
  }

  /** Drops the positions of a table (or all), e.g. after a schema change made through this gateway. */
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
