/**
 * Reading records: filter (exact match on decoded values), sort (Grist's orders, manualSort then id
 * tie-break), limit (0 = none, negative drops from the end), keyset paging and batched iteration.
 *
 * Speed without changing results: filters are pushed down to SQL as a superset prefilter (filter-sql.ts)
 * and still checked exactly in JS on the candidates; without a sort a positive limit stops the read; sorts
 * order an index array on precomputed keys (sort-index.ts); filter columns are decoded before the rest.
 */
import { GristError } from '../backend/errors.js';
import type { CellValue, GetRecordsOptions, GristRecord } from '../backend/types.js';
import { CellError, type StoredValue } from './cells.js';
import { sandboxKeyError } from './failures.js';
import type { ColumnMeta, TableMeta } from './meta.js';
import { quoteIdent } from './schema.js';
import { filterToSql } from './filter-sql.js';
import { parseSort } from './sort.js';
import { orderComparator, sortOrder, type IndexedKey } from './sort-index.js';
import { sortSliced } from './sort-sliced.js';
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

/** Cells of one SQL row, decoded in place: index 0 is the id, i + 1 the i-th selected column. */
type Cells = (CellValue | CellError)[];

/** Options of {@link selectRows}. */
interface SelectOptions {
  /** Exact JS filters: their columns are decoded first and failing rows dropped before anything else. */
  filters?: readonly CompiledFilter[];
  /** Counts the rows SQLite returned (before the JS filter) and the last id seen, for keyset paging. */
  seen?: { count: number; lastId: number };
  /** Stop after this many kept rows. */
  max?: number;
  /**
   * Decode only these columns (besides the filter columns) now; the others stay stored values until
   * {@link decodeRest}. Used by sorts with a limit, so that rows the limit cuts are never fully decoded.
   */
  only?: readonly ColIndex[];
}

/**
 * Selects `cols` of the rows matching `where`, decodes them and returns `make(id, cells)` of each. With
 * `filters`, their columns are decoded first and rows that do not match are dropped before the other
 * columns are decoded. `make` may keep `cells` (it is not reused).
 */
function selectRows<T>(
  store: Store, table: TableMeta, cols: readonly ColumnMeta[], where: string, args: readonly unknown[],
  options: SelectOptions, make: (id: number, cells: Cells) => T,
): T[] {
  const { filters = [], seen, max = Infinity } = options;
  if (max <= 0) { return []; }
  const sql = `SELECT id${cols.map((c) => `, ${quoteIdent(c.colId)}`).join('')} FROM ${quoteIdent(table.tableId)} ${where}`;
  // iterate() rather than all(): rows that fail the filter die young, and a limit can stop the read early.
  const raw = store.stmt(sql).raw(true).iterate(...args) as IterableIterator<(StoredValue | CellValue | CellError)[]>;
  const filterIdx = [...new Set(filters.map((f) => f.index).filter((i) => i > 0))];
  const otherIdx: number[] = [];
  for (let i = 1; i <= cols.length; i++) {
    if (!filterIdx.includes(i) && (options.only === undefined || options.only.includes(i))) { otherIdx.push(i); }
  }
  const decoders = cols.map((c) => c.decode);
  const out: T[] = [];
  for (const cells of raw) {
    const id = Number(cells[0]);
    cells[0] = id;
    if (seen) { seen.count++; seen.lastId = id; }
    if (filters.length) {
      for (const i of filterIdx) { cells[i] = (decoders[i - 1] as ColumnMeta['decode'])((cells[i] ?? null) as StoredValue); }
      if (!matches(cells as Cells, filters)) { continue; }
    }
    for (const i of otherIdx) { cells[i] = (decoders[i - 1] as ColumnMeta['decode'])((cells[i] ?? null) as StoredValue); }
    out.push(make(id, cells as Cells));
    if (out.length >= max) { break; }
  }
  return out;
}

/** Decodes the cells {@link selectRows} left stored (`only` given): every column not in `done`. */
function decodeRest(cells: Cells, decoders: readonly ColumnMeta['decode'][], todo: readonly ColIndex[]): Cells {
  for (const i of todo) { cells[i] = (decoders[i - 1] as ColumnMeta['decode'])((cells[i] ?? null) as unknown as StoredValue); }
  return cells;
}

/** `WHERE ...` of a read: `afterId` and the SQL pushdown of the filter (see filter-sql.ts). */
function whereOf(table: TableMeta, options: GetRecordsOptions, extra: readonly string[] = []): { sql: string; args: unknown[] } {
  const clauses: string[] = [];
  const args: unknown[] = [];
  if (options.afterId !== undefined) {
    clauses.push('id > ?');
    args.push(options.afterId);
  }
  if (options.filter !== undefined && options.filter !== null) {
    const pushed = filterToSql(table, options.filter as Record<string, readonly unknown[]>);
    clauses.push(...pushed.clauses);
    args.push(...pushed.args);
  }
  clauses.push(...extra);
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', args };
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
    out.push({ index, values: new Set(values.filter((v) => v === null || typeof v !== 'object').map(pyKey)) });
  }
  return out;
}

/**
 * The key under which a filter value or a cell is compared. Grist filters with Python equality (`value in
 * frozenset(values)`), where `True == 1` and `False == 0`; numbers compare by value (`1 == 1.0`, `-0 == 0`).
 */
function pyKey<T>(value: T): T | number {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

function matches(cells: readonly (CellValue | CellError)[], filters: readonly CompiledFilter[]): boolean {
  for (const f of filters) {
    const v = cells[f.index];
    if (v instanceof CellError || (v !== null && typeof v === 'object') || !f.values.has(pyKey(v))) { return false; }
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
function compileSort(table: TableMeta, cols: readonly ColumnMeta[], sort: GetRecordsOptions['sort']): IndexedKey[] | undefined {
  if (sort === undefined || (Array.isArray(sort) && sort.length === 0) || sort === '') { return undefined; }
  const keys = parseSort(sort);
  if (keys.length === 0) { return undefined; }
  const out: IndexedKey[] = [];
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
    const choices = key.orderByChoice && index > 0 ? choicesOf(cols[index - 1] as ColumnMeta) : undefined;
    out.push(choices ? { key, index, choices } : { key, index });
  }
  return out;
}

/** The cells a sort needs decoded: its keys and manualSort. */
function sortColumns(cols: readonly ColumnMeta[], keys: readonly IndexedKey[]): ColIndex[] {
  const msIndex = cols.findIndex((c) => c.colId === 'manualSort') + 1;
  const idx = keys.map((k) => k.index).filter((i) => i > 0);
  if (msIndex > 0) { idx.push(msIndex); }
  return [...new Set(idx)];
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

/**
 * Reads, filters, sorts and limits rows of `table` (`cols` selected, in that order) and returns
 * `make(id, cells)` of each. Without a sort, a positive limit stops the read. With a sort, the sort keys
 * are collected column-wise while reading and an index array is sorted (sort-index.ts); without a limit
 * `make` runs during the read (so the raw rows die young), with one only the kept rows are fully decoded.
 */
function readWith<T>(
  store: Store, table: TableMeta, cols: readonly ColumnMeta[], options: GetRecordsOptions, make: (id: number, cells: Cells) => T,
): T[] {
  const filters = compileFilter(table, cols, options.filter);
  const keys = compileSort(table, cols, options.sort);
  const where = whereOf(table, options);
  const limit = options.limit !== undefined && Number.isFinite(options.limit) ? Math.trunc(options.limit) : 0;
  const sql = `${where.sql} ORDER BY id`;
  if (!keys) {
    // In id order a positive limit is a prefix: stop reading as soon as it is reached.
    return applyLimit(selectRows(store, table, cols, sql, where.args, { filters, max: limit > 0 ? limit : Infinity }, make), limit);
  }
  const keyIdx = sortColumns(cols, keys);
  const msIndex = cols.findIndex((c) => c.colId === 'manualSort') + 1;
  const columns = new Map<ColIndex, (CellValue | CellError)[]>(keyIdx.map((i) => [i, []]));
  const ids: number[] = [];
  const collect = (id: number, cells: Cells): void => {
    ids.push(id);
    for (const [i, values] of columns) { values.push(cells[i] ?? null); }
  };
  const valuesOf = (index: ColIndex): readonly (CellValue | CellError)[] => (index === 0 ? ids : columns.get(index) ?? []);
  if (limit === 0) {
    const items = selectRows(store, table, cols, sql, where.args, { filters }, (id, cells) => { collect(id, cells); return make(id, cells); });
    const order = sortOrder(items.length, keys, valuesOf, ids, msIndex > 0 ? columns.get(msIndex) : undefined);
    return order.map((i) => items[i] as T);
  }
  const items = selectRows(store, table, cols, sql, where.args, { filters, only: keyIdx }, (id, cells) => { collect(id, cells); return cells; });
  const order = applyLimit(sortOrder(items.length, keys, valuesOf, ids, msIndex > 0 ? columns.get(msIndex) : undefined), limit);
  const done = new Set([...keyIdx, ...filters.map((f) => f.index)]);
  const todo: ColIndex[] = [];
  for (let i = 1; i <= cols.length; i++) { if (!done.has(i)) { todo.push(i); } }
  const decoders = cols.map((c) => c.decode);
  return order.map((i) => {
    const cells = decodeRest(items[i] as Cells, decoders, todo);
    return make(cells[0] as number, cells);
  });
}

/** Reads, filters, sorts and limits rows; every column of the table is selected, in table order. */
export function readRows(store: Store, table: TableMeta, options: GetRecordsOptions = {}): Row[] {
  return readWith(store, table, table.columns, options, (id, cells) => ({ id, cells }));
}

/** A row as a `GET /records` record: error cells become `null` plus an `errors` entry. */
export function toRecord(row: Row, table: TableMeta, out: readonly ColumnMeta[], indexes: readonly number[]): GristRecord {
  return cellsToRecord(row.id, row.cells, out, indexes);
}

function cellsToRecord(id: number, cells: readonly (CellValue | CellError)[], out: readonly ColumnMeta[], indexes: readonly number[]): GristRecord {
  const fields: Record<string, CellValue> = {};
  let errors: Record<string, string> | undefined;
  for (let i = 0; i < out.length; i++) {
    const col = out[i] as ColumnMeta;
    const v = cells[indexes[i] as number] ?? null;
    if (v instanceof CellError) {
      fields[col.colId] = null;
      (errors ??= {})[col.colId] = v.name;
    } else {
      fields[col.colId] = v;
    }
  }
  return errors ? { id, fields, errors } : { id, fields };
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
  const out = outputColumns(table, options.hidden);
  const idx = indexesOf(table, out);
  return readWith(store, table, table.columns, options, (id, cells) => cellsToRecord(id, cells, out, idx));
}

/**
 * The ids of the rows a sorted read returns, in order: only the columns the filter and sort need are read
 * and decoded (a fraction of a full read), and no record is built.
 */
export function sortedIds(store: Store, table: TableMeta, options: GetRecordsOptions): number[] {
  return readWith(store, table, sortInputColumns(table, options), options, (id) => id);
}

/** The columns a sorted (and filtered) read of ids needs: the sort and filter columns and manualSort. */
function sortInputColumns(table: TableMeta, options: GetRecordsOptions): ColumnMeta[] {
  const sortKeys = parseSort(options.sort ?? '');
  const needed = new Set<string>(Object.keys(options.filter ?? {}));
  for (const k of sortKeys) {
    if (typeof k.col === 'string') { needed.add(k.col); }
    else { const c = table.columns.find((x) => x.colRef === k.col); if (c) { needed.add(c.colId); } }
  }
  needed.add('manualSort');
  return table.columns.filter((c) => needed.has(c.colId));
}

/**
 * {@link sortedIds} in steps, for a caller that gives the event loop back between them (sorted-pages.ts):
 * the sort and filter columns are read in id-keyset slices ({@link SortedIdsBuilder.readSlice}, each in the
 * caller's read transaction), then sorted with pauses ({@link sortSliced}). The result is exactly
 * `sortedIds` of the rows read; the slices being separate reads, the caller makes sure the table did not
 * change between the first and the last.
 */
export class SortedIdsBuilder {
  private readonly cols: ColumnMeta[];
  private readonly filters: CompiledFilter[];
  private readonly keys: IndexedKey[];
  private readonly msIndex: ColIndex;
  private readonly ids: number[] = [];
  private readonly columns = new Map<ColIndex, (CellValue | CellError)[]>();
  private lastId = Number.MIN_SAFE_INTEGER;
  private done = false;

  /** Throws the errors `sortedIds` throws (unknown sort or filter columns). */
  constructor(private readonly table: TableMeta, private readonly options: GetRecordsOptions) {
    this.cols = sortInputColumns(table, options);
    this.filters = compileFilter(table, this.cols, options.filter);
    this.keys = compileSort(table, this.cols, options.sort) ?? [];
    this.msIndex = this.cols.findIndex((c) => c.colId === 'manualSort') + 1;
    for (const i of sortColumns(this.cols, this.keys)) { this.columns.set(i, []); }
  }

  /** Reads up to `max` more rows (run it in a read transaction); false once the table is read to its end. */
  readSlice(store: Store, max: number): boolean {
    if (this.done) { return false; }
    const where = whereOf(this.table, { filter: this.options.filter }, ['id > ?']);
    const seen = { count: 0, lastId: this.lastId };
    selectRows(store, this.table, this.cols, `${where.sql} ORDER BY id LIMIT ${Math.max(1, Math.trunc(max))}`, [...where.args, this.lastId],
      { filters: this.filters, seen }, (id, cells) => {
        this.ids.push(id);
        for (const [i, values] of this.columns) { values.push(cells[i] ?? null); }
        return null;
      });
    this.lastId = seen.lastId;
    if (seen.count < max) { this.done = true; }
    return !this.done;
  }

  /** The ids read, in the sort order (pausing as {@link sortSliced} does). */
  async sortedIds(options: { sliceMs?: number; pause?: () => Promise<void> } = {}): Promise<number[]> {
    const ids = this.ids;
    if (this.keys.length === 0) { return ids; }
    const valuesOf = (index: ColIndex): readonly (CellValue | CellError)[] => (index === 0 ? ids : this.columns.get(index) ?? []);
    const compare = orderComparator(ids.length, this.keys, valuesOf, ids, this.msIndex > 0 ? this.columns.get(this.msIndex) : undefined);
    const order = Array.from({ length: ids.length }, (_, i) => i);
    await sortSliced(order, compare, options);
    return order.map((i) => ids[i] as number);
  }
}

/** Full records of `ids`, in the order given (ids that no longer exist are skipped). */
export function recordsByIds(store: Store, table: TableMeta, ids: readonly number[], hidden?: boolean): GristRecord[] {
  const out = outputColumns(table, hidden);
  const idx = indexesOf(table, out);
  const batch: GristRecord[] = [];
  for (let start = 0; start < ids.length; start += BATCH_SIZE) {
    const chunk = ids.slice(start, start + BATCH_SIZE);
    // One JSON parameter per batch: no parameter limit, one statement text for every batch size.
    const rows = selectRows(store, table, table.columns, 'WHERE id IN (SELECT value FROM json_each(?))', [JSON.stringify(chunk)], {}, (id, cells) => ({ id, cells }));
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of chunk) {
      const row = byId.get(id);
      if (row) { batch.push(toRecord(row, table, out, idx)); }
    }
  }
  return batch;
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
    const ids = sortedIds(store, table, options);
    // One JSON parameter per batch: no parameter limit, one statement text for every batch size.
    const sql = 'WHERE id IN (SELECT value FROM json_each(?))';
    for (let start = 0; start < ids.length; start += BATCH_SIZE) {
      const chunk = ids.slice(start, start + BATCH_SIZE);
      const rows = selectRows(store, table, table.columns, sql, [JSON.stringify(chunk)], {}, (id, cells) => ({ id, cells }));
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
  // The filter's pushdown without afterId: the keyset condition below replaces it.
  const where = whereOf(table, { filter: options.filter }, ['id > ?']);
  let lastId = options.afterId ?? Number.MIN_SAFE_INTEGER;
  let remaining = limit > 0 ? Math.trunc(limit) : Infinity;
  while (remaining > 0) {
    const seen = { count: 0, lastId };
    const kept = selectRows(store, table, table.columns, `${where.sql} ORDER BY id LIMIT ${BATCH_SIZE}`, [...where.args, lastId],
      { filters, seen, max: remaining }, (id, cells) => cellsToRecord(id, cells, out, idx));
    lastId = seen.lastId;
    remaining -= kept.length;
    if (kept.length) { yield kept; }
    if (seen.count < BATCH_SIZE) { return; }
  }
}
