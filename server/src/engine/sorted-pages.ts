/**
 * Keyset pages of sorted reads without sorting the table again for every page.
 *
 * Grist's sort order (collation, type ranks, emptyLast, naturalSort, choice order) is not SQLite's, so
 * the order is computed once in JS (only the sort and filter columns are read) and kept as an id array
 * while the table is unchanged: a write to that table through this connection (counted by SQLite
 * triggers, table-writes.ts), a commit by another connection (`PRAGMA data_version`) or a structure change
 * makes it stale; writes to other tables do not. A page then finds the previous page's last row in the
 * order and reads only its own rows (by id), so paging through N rows costs one sort, not N/limit.
 * When the previous last row was deleted meanwhile, its saved sort values locate the position by binary
 * search, as the router's generic paging does.
 *
 * Building an order is long on a large table (reading 100,000 rows' keys and sorting them takes a few
 * hundred ms), so {@link SortedOrderCache.prepare} builds it in steps that give the event loop back: key
 * columns read in id-keyset slices, each slice in its own read transaction that first checks the table's
 * version is still the one the build started at (so the slices together are one consistent state), then a
 * sort with pauses. Concurrent requests for the same order share one build.
 */
import type { CellValue, GristRecord, SortedPageOptions } from '../backend/types.js';
import { limits } from '../limits/index.js';
import type { TableMeta } from './meta.js';
import { recordsByIds, sortedIds, SortedIdsBuilder } from './read.js';
import { makeRowComparator, parseSort, sortValues } from './sort.js';
import { nextTurn } from '../util/turns.js';
import type { Store } from './store.js';
import { TableWriteCounters } from './table-writes.js';

interface Entry {
  version: string;
  ids: number[];
}

/** Builds of an order that found their table changed midway before giving up and building in one step. */
const MAX_SLICED_ATTEMPTS = 3;

/** The sort orders of one document, most recently used last (a small LRU). */
export class SortedOrderCache {
  readonly #entries = new Map<string, Entry>();
  readonly #building = new Map<string, { version: string; done: Promise<void> }>();
  readonly #versions = new TableWriteCounters();

  constructor(
    private readonly maxEntries: number = limits.sortCacheEntries,
    private readonly sliceRows: number = limits.sortSliceRows,
  ) {}

  /** The cached order of a query, or a freshly computed one (in one step: run it in a read transaction). */
  ids(store: Store, table: TableMeta, options: SortedPageOptions): number[] {
    const key = keyOf(table, options);
    const version = this.#versions.version(store, table);
    const hit = this.#take(key, version);
    if (hit) return hit;
    const ids = sortedIds(store, table, { ...(options.filter ? { filter: options.filter } : {}), sort: options.sort });
    this.#put(key, { version, ids });
    return ids;
  }

  /**
   * Makes sure the order of a query is cached for the table's current version, building it in steps that
   * give the event loop back (see the file comment). After it, {@link ids} is a hit unless a write to the
   * table came in between. `settled` resolves when the table may be read (the document's gate: no write
   * of it in progress); it is awaited before every read.
   */
  async prepare(store: Store, tableId: string, options: SortedPageOptions, settled: () => Promise<void> = async () => {}): Promise<void> {
    for (let attempt = 0; attempt < MAX_SLICED_ATTEMPTS; attempt++) {
      await settled();
      const { key, version, builder } = store.read(() => {
        const table = store.resolve(tableId);
        const key = keyOf(table, options);
        const version = this.#versions.version(store, table);
        if (this.#peek(key, version)) return { key, version, builder: undefined };
        // Created here so that an unknown sort or filter column fails now, as `ids` would.
        return { key, version, builder: new SortedIdsBuilder(table, { ...(options.filter ? { filter: options.filter } : {}), sort: options.sort }) };
      });
      if (!builder) return;
      const pending = this.#building.get(key);
      if (pending && pending.version === version) {
        await pending.done;
        continue;
      }
      const done = this.#build(store, tableId, key, version, builder, settled);
      this.#building.set(key, { version, done });
      try {
        await done;
      } finally {
        if (this.#building.get(key)?.done === done) this.#building.delete(key);
      }
    }
    // The table kept changing under the sliced builds: `ids` builds it in one step when the page is read.
  }

  /** One sliced build; caches the order only if the table's version never changed while it ran. */
  async #build(store: Store, tableId: string, key: string, version: string, builder: SortedIdsBuilder, settled: () => Promise<void>): Promise<void> {
    for (;;) {
      await settled();
      const more = store.read(() => (this.#versions.version(store, store.resolve(tableId)) === version ? builder.readSlice(store, this.sliceRows) : undefined));
      if (more === undefined) return;
      await nextTurn();
      if (!more) break;
    }
    const ids = await builder.sortedIds();
    await settled();
    const still = store.read(() => this.#versions.version(store, store.resolve(tableId)) === version);
    if (still) this.#put(key, { version, ids });
  }

  #peek(key: string, version: string): boolean {
    return this.#entries.get(key)?.version === version;
  }

  #take(key: string, version: string): number[] | undefined {
    const hit = this.#entries.get(key);
    if (!hit || hit.version !== version) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit.ids;
  }

  #put(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}

function keyOf(table: TableMeta, options: SortedPageOptions): string {
  return JSON.stringify([table.tableId, options.sort, options.filter ?? null]);
}

/** One page of a sorted read after a keyset position (see the file comment). */
export function readSortedPage(
  store: Store,
  table: TableMeta,
  options: SortedPageOptions,
  cache: SortedOrderCache,
): { records: GristRecord[]; more: boolean } {
  const ids = cache.ids(store, table, options);
  let start = 0;
  const after = options.after;
  if (after) {
    const index = ids.indexOf(after.id);
    if (index >= 0) start = index + 1;
    else {
      // The row was deleted: the first row that sorts after its saved values (binary search over the order).
      const keys = parseSort(options.sort);
      type Keyed = { id: number; values: readonly CellValue[] };
      const compare = makeRowComparator<Keyed>(keys, (row, key) => row.values[keys.indexOf(key)] ?? null, (a, b) => a.id - b.id);
      const position: Keyed = { id: after.id, values: after.values };
      let lo = 0;
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const [probe] = recordsByIds(store, table, [ids[mid] as number]);
        const greater = probe ? compare({ id: probe.id, values: sortValues(probe, keys) }, position) > 0 : false;
        if (greater) hi = mid;
        else lo = mid + 1;
      }
      start = lo;
    }
  }
  const pageIds = ids.slice(start, start + options.limit);
  return { records: recordsByIds(store, table, pageIds), more: start + options.limit < ids.length };
}
