/**
 * Reading records: filter (exact match on decoded values), sort (Grist's orders, manualSort then id
 * tie-break), limit (0 = none, negative drops from the end), keyset paging and batched iteration.
 */
import { GristError } from '../backend/errors.js';
import type { CellValue, GetRecordsOptions, GristRecord } from '../backend/types.js';
import { CellError, type StoredValue } from './cells.js';
import { sandboxKeyError } from './failures.js';
import type { ColumnMeta, TableMeta } from './meta.js';
import { quoteIdent } from './schema.js';
import { makeRowComparator, parseSort, type SortKey } from './sort.js';
import type { Store } from './store.js';

/**
 * A decoded row: `cells[0]` is the row id and `cells[i + 1]` belongs to the i-th selected column (the
 * array SQLite returned, decoded in place so a read allocates one array per row).
 */
export interface Row {
  id: number;
  cells: (CellValue | CellError)[];
}

/** Rows per batch of {@link iterateRows} and per `IN (...)` fetch. */
export const BATCH_SIZE = 1000;

/** Index of a column in `Row.cells`: 0 is `id`, i + 1 the i-th selected column. */
type ColIndex = number;

interface CompiledFilter {
  index: ColIndex;
  values: Set<unknown>;
}

/**
 * Selects `cols` of the rows matching `where`, decoded. With `filters`, their columns are decoded first
 * and rows that do not match are dropped before the other columns are decoded.
 */
function selectRows(
  store: Store, table: TableMeta, cols: readonly ColumnMeta[], where: string, args: unknown[],
  filters: readonly CompiledFilter[] = [], seen?: { count: number; lastId: number },
): Row[] {
  const sql = `SELECT id${cols.map((c) => `, ${quoteIdent(c.colId)}`).join('')} FROM ${quoteIdent(table.tableId)} ${where}`;
  // iterate() rather than all(): rows that fail the filter die young, which halves the GC work on big reads.
  const raw = store.stmt(sql).raw(true).iterate(...args) as IterableIterator<(StoredValue | CellValue | CellError)[]>;
  const filterIdx = [...new Set(filters.map((f) => f.index).filter((i) => i > 0))];
  const otherIdx: number[] = [];
  for (let i = 1; i <= cols.length; i++) { if (!filterIdx.includes(i)) { otherIdx.push(i); } }
  const decoders = [undefined, ...cols.map((c) => c.decode)];
  const out: Row[] = [];
  for (const cells of raw) {
    const id = Number(cells[0]);
    cells[0] = id;
    if (seen) { seen.count++; seen.lastId = id; }
    for (const i of filterIdx) { cells[i] = (decoders[i] as ColumnMeta['decode'])((cells[i] ?? null) as StoredValue); }
    if (filters.length && !matches(cells as (CellValue | CellError)[], filters)) { continue; }
    for (const i of otherIdx) { cells[i] = (decoders[i] as ColumnMeta['decode'])((cells[i] ?? null) as StoredValue); }
    out.push({ id, cells: cells as (CellValue | CellError)[] });
  }
  return out;
}

function compileFilter(table: TableMeta, cols: readonly ColumnMeta[], filter: GetRecordsOptions['filter']): CompiledFilter[] {
  if (filter === undefined || filter === null) { return []; }
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    throw new GristError(400, 'Invalid query: filter values must be arrays', undefined, { kind: 'payload', table: table.tableId });
  }
  const out: CompiledFilter[] = [];
  for (const [colId, values] of Object.entries(filter)) {
    if (!Array.isArray(values)) {
      throw new GristError(400, 'Invalid query: filter values must be arrays', undefined,
        { kind: 'payload', table: table.tableId, column: colId });
    }
    const index = colId === 'id' ? 0 : cols.findIndex((c) => c.colId === colId) + 1;
    if (index === 0 && colId !== 'id') { throw sandboxKeyError(colId, table.tableId); }
    // Lists never match (Grist compares them by identity), so only primitives go into the set.
    out.push({ index, values: new Set(values.filter((v) => v === null || typeof v !== 'object')) });
  }
  return out;
}

function matches(cells: readonly (CellValue | CellError)[], filters: readonly CompiledFilter[]): boolean {
  for (const f of filters) {
    const v = cells[f.index];
    if (v instanceof CellError || (v !== null && typeof v === 'object') || !f.values.has(v)) { return false; }
  }
  return true;
}

function choicesOf(col: ColumnMeta): readonly string[] | undefined {
  if (!col.widgetOptions) { return undefined; }
  try {
    const parsed = JSON.parse(col.widgetOptions) as { choices?: unknown };
    return Array.isArray(parsed.choices) ? parsed.choices.filter((c): c is string => typeof c === 'string') : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves sort keys to selected-column indexes; unknown keys are Grist's 500s. */
function compileSort(table: TableMeta, cols: readonly ColumnMeta[], sort: GetRecordsOptions['sort']):
  ((a: Row, b: Row) => number) | undefined {
  if (sort === undefined || (Array.isArray(sort) && sort.length === 0) || sort === '') { return undefined; }
  const keys = parseSort(sort);
  if (keys.length === 0) { return undefined; }
  const indexOf = new Map<SortKey, ColIndex>();
  for (const key of keys) {
    let index: number;
    if (typeof key.col === 'number') {
      index = cols.findIndex((c) => c.colRef === key.col) + 1;
      if (index === 0) {
        throw new GristError(500, `invalid column id ${key.col}`, undefined, { kind: 'column', table: table.tableId });
      }
    } else if (key.col === 'id') {
      index = 0;
    } else {
      index = cols.findIndex((c) => c.colId === key.col) + 1;
      if (index === 0) {
        throw new GristError(500, `unknown key ${key.col}`, undefined, { kind: 'column', table: table.tableId, column: key.col });
      }
    }
    indexOf.set(key, index);
  }
  const msIndex = cols.findIndex((c) => c.colId === 'manualSort') + 1;
  const tieBreak = (a: Row, b: Row): number => {
    if (msIndex > 0) {
      const ma = a.cells[msIndex];
      const mb = b.cells[msIndex];
      if (typeof ma === 'number' && typeof mb === 'number' && ma !== mb) { return ma - mb; }
    }
    return a.id - b.id;
  };
  const get = (row: Row, key: SortKey): CellValue | CellError => row.cells[indexOf.get(key) ?? 0] ?? null;
  const choicesFor = (key: SortKey): readonly string[] | undefined => {
    const i = indexOf.get(key) ?? 0;
    return key.orderByChoice && i > 0 ? choicesOf(cols[i - 1] as ColumnMeta) : undefined;
  };
  return makeRowComparator(keys, get, tieBreak, choicesFor);
}

/** Applies Grist's limit: 0/absent = all, negative drops that many from the end. */
export function applyLimit<T>(rows: T[], limit: number | undefined): T[] {
  if (limit === undefined || limit === 0 || !Number.isFinite(limit)) { return rows; }
  const n = Math.trunc(limit);
  return n > 0 ? rows.slice(0, n) : rows.slice(0, Math.max(0, rows.length + n));
}

/** The columns a read returns: visible ones, or all with `hidden`. */
export function outputColumns(table: TableMeta, hidden: boolean | undefined): ColumnMeta[] {
  return hidden ? table.columns : table.columns.filter((c) => !c.hidden);
}

/** Reads, filters, sorts and limits rows; every column of the table is selected, in table order. */
export function readRows(store: Store, table: TableMeta, options: GetRecordsOptions = {}): Row[] {
  const cols = table.columns;
  const filters = compileFilter(table, cols, options.filter);
  const comparator = compileSort(table, cols, options.sort);
  const afterId = options.afterId;
  const rows = afterId === undefined
    ? selectRows(store, table, cols, 'ORDER BY id', [], filters)
    : selectRows(store, table, cols, 'WHERE id > ? ORDER BY id', [afterId], filters);
  if (comparator) { rows.sort(comparator); }
  return applyLimit(rows, options.limit);
}

/** A row as a `GET /records` record: error cells become `null` plus an `errors` entry. */
export function toRecord(row: Row, table: TableMeta, out: readonly ColumnMeta[], indexes: readonly number[]): GristRecord {
  const fields: Record<string, CellValue> = {};
  let errors: Record<string, string> | undefined;
  for (let i = 0; i < out.length; i++) {
    const col = out[i] as ColumnMeta;
    const v = row.cells[indexes[i] as number] ?? null;
    if (v instanceof CellError) {
      fields[col.colId] = null;
      (errors ??= {})[col.colId] = v.name;
    } else {
      fields[col.colId] = v;
    }
  }
  return errors ? { id: row.id, fields, errors } : { id: row.id, fields };
}

/** A row with error cells inline as `["E", name]` (for `GET /data`). */
export function toRawRecord(row: Row, out: readonly ColumnMeta[], indexes: readonly number[]): { id: number; fields: Record<string, CellValue> } {
  const fields: Record<string, CellValue> = {};
  for (let i = 0; i < out.length; i++) {
    const v = row.cells[indexes[i] as number] ?? null;
    fields[(out[i] as ColumnMeta).colId] = v instanceof CellError ? ['E', v.name] : v;
  }
  return { id: row.id, fields };
}

/** Positions in `Row.cells` of `out` columns, when all the table's columns were selected. */
export function indexesOf(table: TableMeta, out: readonly ColumnMeta[]): number[] {
  return out.map((c) => table.columns.indexOf(c) + 1);
}

/** `GET /records`. */
export function getRecords(store: Store, table: TableMeta, options: GetRecordsOptions = {}): GristRecord[] {
  const rows = readRows(store, table, options);
  const out = outputColumns(table, options.hidden);
  const idx = indexesOf(table, out);
  return rows.map((r) => toRecord(r, table, out, idx));
}

/**
 * Yields records in batches without materialising the table: id-keyset pages when there is no sort;
 * with a sort, only (key values, id) rows are sorted in memory and full rows are fetched in id batches.
 * The metadata cache is re-resolved by the caller; a schema change mid-iteration is not supported.
 */
export function* iterateRows(store: Store, table: TableMeta, options: GetRecordsOptions = {}): Generator<GristRecord[]> {
  const out = outputColumns(table, options.hidden);
  const idx = indexesOf(table, out);
  const limit = options.limit ?? 0;
  if (options.sort !== undefined && !(Array.isArray(options.sort) && options.sort.length === 0) && options.sort !== '') {
    // Pass 1: only the columns that the filter and sort need.
    const sortKeys = parseSort(options.sort);
    const needed = new Set<string>(Object.keys(options.filter ?? {}));
    for (const k of sortKeys) {
      if (typeof k.col === 'string') { needed.add(k.col); }
      else { const c = table.columns.find((x) => x.colRef === k.col); if (c) { needed.add(c.colId); } }
    }
    needed.add('manualSort');
    const keyCols = table.columns.filter((c) => needed.has(c.colId));
    const filters = compileFilter(table, keyCols, options.filter);
    const comparator = compileSort(table, keyCols, options.sort);
    const where = options.afterId === undefined ? '' : 'WHERE id > ?';
    let keyed = selectRows(store, table, keyCols, where, options.afterId === undefined ? [] : [options.afterId], filters);
    if (comparator) { keyed.sort(comparator); }
    const ids = applyLimit(keyed, limit).map((r) => r.id);
    keyed = [];
    for (let start = 0; start < ids.length; start += BATCH_SIZE) {
      const chunk = ids.slice(start, start + BATCH_SIZE);
      const rows = selectRows(store, table, table.columns, `WHERE id IN (${chunk.map(() => '?').join(',')})`, chunk);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const batch: GristRecord[] = [];
      for (const id of chunk) {
        const row = byId.get(id);
        if (row) { batch.push(toRecord(row, table, out, idx)); }
      }
      yield batch;
    }
    return;
  }
  if (limit < 0) {
    // A negative limit needs the total count first; read the matches, then yield them in batches.
    const rows = readRows(store, table, options);
    for (let start = 0; start < rows.length; start += BATCH_SIZE) {
      yield rows.slice(start, start + BATCH_SIZE).map((r) => toRecord(r, table, out, idx));
    }
    return;
  }
  const filters = compileFilter(table, table.columns, options.filter);
  let lastId = options.afterId ?? Number.MIN_SAFE_INTEGER;
  let remaining = limit > 0 ? Math.trunc(limit) : Infinity;
  while (remaining > 0) {
    const seen = { count: 0, lastId };
    let kept = selectRows(store, table, table.columns, `WHERE id > ? ORDER BY id LIMIT ${BATCH_SIZE}`, [lastId], filters, seen);
    lastId = seen.lastId;
    if (kept.length > remaining) { kept = kept.slice(0, remaining); }
    remaining -= kept.length;
    if (kept.length) { yield kept.map((r) => toRecord(r, table, out, idx)); }
    if (seen.count < BATCH_SIZE) { return; }
  }
}
