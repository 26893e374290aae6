/**
 * Keyset pages of sorted reads without sorting the table again for every page.
 *
 * Grist's sort order (collation, type ranks, emptyLast, naturalSort, choice order) is not SQLite's, so
 * the order is computed once in JS (only the sort and filter columns are read: `sortedIds`) and kept as
 * an id array while the document is unchanged: a write through this connection (`Store.writes`) or
 * another one (`PRAGMA data_version`) makes it stale. A page then finds the previous page's last row in
 * the order and reads only its own rows (by id), so paging through N rows costs one sort, not N/limit.
 * When the previous last row was deleted meanwhile, its saved sort values locate the position by binary
 * search, as the router's generic paging does.
 */
import type { CellValue, GristRecord, SortedPageOptions } from '../backend/types.js';
import { limits } from '../limits/index.js';
import type { TableMeta } from './meta.js';
import { recordsByIds, sortedIds } from './read.js';
import { makeRowComparator, parseSort, sortValues, type SortKey } from './sort.js';
import type { Store } from './store.js';

interface Entry {
  version: string;
  ids: number[];
}

/** The sort orders of one document, most recently used last (a small LRU). */
export class SortedOrderCache {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly maxEntries: number = limits.sortCacheEntries) {}

  /** The cached order of a query, or a freshly computed one. */
  ids(store: Store, table: TableMeta, options: SortedPageOptions): number[] {
    const key = JSON.stringify([table.tableId, options.sort, options.filter ?? null]);
    const version = `${store.writes}:${String(store.db.pragma('data_version', { simple: true }))}`;
    const hit = this.#entries.get(key);
    this.#entries.delete(key);
    if (hit && hit.version === version) {
      this.#entries.set(key, hit);
      return hit.ids;
    }
    const ids = sortedIds(store, table, { ...(options.filter ? { filter: options.filter } : {}), sort: options.sort });
    this.#entries.set(key, { version, ids });
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    return ids;
  }
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
