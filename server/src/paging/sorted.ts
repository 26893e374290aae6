/**
 * One page of a sorted `get_records` read, with its keyset cursor.
 *
 * A backend that can read just the page does so (`DocBackend.sortedPage`: the HTTP backend through keyset
 * `/sql`, O(page)); a backend that keeps a sort order pages from it (`DocBackend.getSortedPage`: the
 * embedded engine, re-sorting only after a write); otherwise the backend sorts the (filtered) table and
 * the page is cut out after the cursor's row, O(table) per page (Grist documents whose access rules refuse
 * `/sql`).
 */
import type { CellValue, DocBackend, GristRecord } from '../backend/types.js';
import { makeRowComparator, parseSort, sortValues, type SortKey } from '../engine/sort.js';
import { encodeCursor, type CursorState } from './cursor.js';

/**
 * Reads one page in a sorted order: the backend sorts, the page starts right after the cursor's row (or,
 * when that row was deleted meanwhile, after the position its sort values had). Rows added meanwhile appear
 * where they sort, never twice.
 */
export async function pageSorted(
  backend: DocBackend,
  table: string,
  filter: Record<string, CellValue[]> | undefined,
  sort: string,
  state: CursorState | undefined,
  pageSize: number,
  q: string,
): Promise<{ records: GristRecord[]; next: string | null }> {
  // A backend that can read just this page (the HTTP backend, through keyset /sql) does so: O(page).
  const after = state ? { id: state.id, values: state.k, manualSort: state.m } : undefined;
  const page = await backend.sortedPage?.(table, { filter, sort, after, limit: pageSize + 1 });
  if (page) {
    const more = page.records.length > pageSize;
    const position = page.positions[Math.min(pageSize, page.records.length) - 1];
    const next = more && position ? encodeCursor({ v: 1, q, id: position.id, k: [...(position.values ?? [])], m: position.manualSort ?? null }) : null;
    return { records: more ? page.records.slice(0, pageSize) : page.records, next };
  }
  const keys = parseSort(sort);
  if (backend.getSortedPage) {
    // The backend pages from a sort order it keeps (the embedded engine): no whole-table sort per page.
    const kept = await backend.getSortedPage(table, {
      ...(filter ? { filter } : {}),
      sort,
      ...(state ? { after: { id: state.id, values: state.k ?? [] } } : {}),
      limit: pageSize,
    });
    const last = kept.records.at(-1);
    return { records: kept.records, next: kept.more && last ? encodeCursor({ v: 1, q, id: last.id, k: sortValues(last, keys) }) : null };
  }
  const rows = await backend.getRecords(table, { filter, sort });
  let start = 0;
  if (state) {
    const index = rows.findIndex((r) => r.id === state.id);
    if (index >= 0) start = index + 1;
    else {
      const position = { id: state.id, values: state.k ?? [] };
      type Keyed = { id: number; values: readonly CellValue[] };
      const compare = makeRowComparator<Keyed>(
        keys,
        (row, key) => row.values[keys.indexOf(key)] ?? null,
        (a, b) => a.id - b.id,
      );
      start = rows.findIndex((r) => compare({ id: r.id, values: sortValues(r, keys) }, position) > 0);
      if (start < 0) start = rows.length;
    }
  }
  const records = rows.slice(start, start + pageSize);
  const last = records.at(-1);
  const more = start + pageSize < rows.length;
  return { records, next: more && last ? encodeCursor({ v: 1, q, id: last.id, k: sortValues(last, keys) }) : null };
}
