/**
 * The formula engine of one embedded document: after each write it hands what changed to Python (the
 * shared runtime, runtime.ts), which recalculates the affected formula cells (and trigger formulas), and
 * stores the results in the document, converted to each column's type, so reads, sorts, filters and SQL
 * see them.
 *
 * Python holds a copy of the document's data (loaded on first need: only documents with formulas ever
 * load Python). Row-level changes are sent as deltas; a schema change reloads the copy and recomputes
 * every formula column (Grist's dependency graph is likewise rebuilt after schema actions).
 */
import type { CellValue } from '../../backend/types.js';
import { CellError, encodeCell, encodeError, type StoredValue } from '../cells.js';
import type { ColumnMeta, TableMeta } from '../meta.js';
import { chunks, toBind, unwrittenStoredValue } from '../records.js';
import { quoteIdent } from '../schema.js';
import type { Store } from '../store.js';
import type { Changes, TableChanges } from './changes.js';
import { callPython, callPythonTimed, float64s, type TimedAnswer } from './runtime.js';

/** A long list of numbers sent as float64 bytes beside the answer's JSON (gg_env.py `_encode`). */
interface Packed {
  $f64: [number, number];
}

/** Ascending row ids without gaps: `count` ids from `first` (gg_env.py `_encode`). */
interface IdRange {
  $range: [number, number];
}

/** One column's new values, row ids ascending, as Python answers them (whole columns compact). */
interface WireResult {
  tableId: string;
  colId: string;
  id: number[] | IdRange;
  values: CellValue[] | Packed;
}

/** One column's new values, unpacked. */
interface Result {
  tableId: string;
  colId: string;
  id: ArrayLike<number>;
  values: ArrayLike<CellValue>;
}

/** Python's answer to a load or a delta: changed cells and how many cells were evaluated. */
interface Answer {
  changed: WireResult[];
  evaluated: number;
}

/** Python's answer, or its request to be sent the whole document again. */
type AnswerOrReload = Answer | { reload: true };

/**
 * Results at least this long are stored by one UPDATE statement that asks a function for each row's new
 * value (see {@link FormulaEngine.storeColumn}); shorter ones by one UPDATE per cell.
 */
const BULK_MIN = 256;

/** The SQL function, registered on the document's connection, through which one UPDATE stores a column's results. */
const VALUE_FUNCTION = 'gg_formula_value';

/** The ids of a range. */
function idsOf(range: IdRange): Float64Array {
  const [first, count] = range.$range;
  const ids = new Float64Array(count);
  for (let i = 0; i < count; i++) { ids[i] = first + i; }
  return ids;
}

/** The results with id ranges expanded and packed values as Float64Arrays over `blob`. */
function unpack(changed: WireResult[], blob: Uint8Array): Result[] {
  return changed.map((r) => ({
    tableId: r.tableId,
    colId: r.colId,
    id: Array.isArray(r.id) ? r.id : idsOf(r.id),
    values: Array.isArray(r.values) ? r.values : float64s(blob, r.values),
  }));
}

/** Whether ids are strictly ascending (Python sends them so; the bulk store relies on it). */
function ascending(ids: ArrayLike<number>): boolean {
  for (let i = 1; i < ids.length; i++) { if ((ids[i] as number) <= (ids[i - 1] as number)) { return false; } }
  return true;
}

/** Index of `id` in ascending `ids`, or -1. */
function indexOfId(ids: ArrayLike<number>, id: number): number {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = ids[mid] as number;
    if (v === id) { return mid; }
    if (v < id) { lo = mid + 1; } else { hi = mid - 1; }
  }
  return -1;
}

let nextDocKey = 1;

/** Whether any column of the document has a formula (formula columns or trigger formulas). */
export function hasFormulas(store: Store): boolean {
  return store.userTables().some((t) => t.columns.some((c) => c.formula !== ''));
}

/** A decoded cell as Python receives it: API values, error cells as `["E", name]`. */
function toWire(col: ColumnMeta, stored: StoredValue): CellValue {
  const v = col.decode(stored);
  return v instanceof CellError ? ['E', v.name] : v;
}

/** What Python's copy of a column depends on: a change means its values must be sent again (or recomputed). */
function signature(c: ColumnMeta): string {
  return JSON.stringify([c.colRef, c.type, c.isFormula, c.formula]);
}

/** Whether the column's values are computed by its formula (not data, not a trigger formula's column). */
function isComputed(c: ColumnMeta): boolean {
  return c.isFormula && c.formula !== '';
}

/** The column descriptions Python needs. */
function schemaOf(store: Store): unknown[] {
  return store.userTables().map((t) => ({
    tableId: t.tableId,
    columns: t.columns.filter((c) => c.colId !== 'manualSort').map((c) => ({
      colId: c.colId, colRef: c.colRef, type: c.type, isFormula: c.isFormula, formula: c.formula,
      recalcWhen: c.recalcWhen, recalcDeps: c.recalcDeps,
    })),
  }));
}

/** Column-wise data of `cols` for the rows selected by `where`. */
function readColumns(store: Store, table: TableMeta, cols: ColumnMeta[], where = '', args: unknown[] = []): Record<string, CellValue[]> {
  const sql = `SELECT id${cols.map((c) => `, ${quoteIdent(c.colId)}`).join('')} FROM ${quoteIdent(table.tableId)} ${where} ORDER BY id`;
  const rows = store.db.prepare(sql).raw(true).all(...args) as StoredValue[][];
  const out: Record<string, CellValue[]> = { id: rows.map((r) => Number(r[0])) };
  cols.forEach((c, i) => { out[c.colId] = rows.map((r) => toWire(c, r[i + 1] ?? null)); });
  return out;
}

/**
 * Milliseconds each phase of a recalculation took: `read` (SQLite reads for what is sent), `transfer`
 * (JSON text to the worker and the answer back), `python.parse`, `python.load`, `python.evaluate`,
 * `python.collect`, `python.encode` (Python's side), `parse` (the answer's JSON here), `store` (results
 * converted and written to SQLite), `total`.
 */
export type RecalcPhases = Record<string, number>;

/** Formula engine of one document; see the module comment. */
export class FormulaEngine {
  private readonly docKey = `doc${nextDocKey++}`;
  private loaded = false;
  /** Column signatures of Python's copy, per table: what a schema update must send again. */
  private sent = new Map<string, Map<string, string>>();
  /** Formula cells evaluated by the last recalculation (tests and benchmarks check it is only what changed). */
  lastEvaluated = 0;
  /** Where the time of the last recalculation went (benchmarks). */
  lastPhases: RecalcPhases = {};
  /** The stored value of a row's result while {@link storeColumn} runs its UPDATE (what {@link VALUE_FUNCTION} answers). */
  private valueOf: ((id: number) => StoredValue) | undefined;
  private valueFunction = false;

  constructor(private readonly store: Store) {}

  /** Recalculates after a write described by `changes`; resolves once the results are stored. */
  async afterWrite(changes: Changes): Promise<void> {
    if (!hasFormulas(this.store)) {
      if (this.loaded) { await this.drop(); }
      return;
    }
    try {
      await this.recalculate(changes);
    } catch (err) {
      this.loaded = false; // start from a fresh copy next time
      this.clearStale(changes.stale);
      throw err;
    }
  }

  /**
   * After a failed recalculation: the cells of formula columns whose formula changed still hold the old
   * formula's values; they get the value of a formula not evaluated yet (as a changed formula's cells
   * would have had before), so no reader takes them for the new formula's values.
   */
  private clearStale(stale: Changes['stale']): void {
    if (stale.length === 0) { return; }
    try {
      this.store.withoutChangeLog(() => this.store.write(() => {
        for (const [tableId, colId] of stale) {
          const table = this.store.tables.get(tableId);
          const col = table?.byId.get(colId);
          if (!table || !col || !isComputed(col)) { continue; }
          this.store.db.prepare(`UPDATE ${quoteIdent(tableId)} SET ${quoteIdent(colId)} = ?`).run(toBind(unwrittenStoredValue(col)));
        }
      }));
    } catch {
      // The document could not be written either: the caller gets the recalculation's error.
    }
  }

  private async recalculate(changes: Changes): Promise<void> {
    const started = performance.now();
    const phases: RecalcPhases = {};
    let timed: TimedAnswer<AnswerOrReload>;
    if (!this.loaded) {
      timed = await this.load(phases);
    } else if (changes.schema) {
      timed = await this.syncSchema(changes.tables, phases);
      if ('reload' in timed.answer) { timed = await this.load(phases); }
    } else {
      const t0 = performance.now();
      const delta = this.deltaOf(changes.tables);
      phases.read = performance.now() - t0;
      if (delta.length === 0) { return; }
      timed = await this.call('apply', delta, phases);
      // The runtime restarted (and forgot the document): load it again.
      if ('reload' in timed.answer) { timed = await this.load(phases); }
    }
    const { changed, evaluated } = timed.answer as Answer;
    this.lastEvaluated = evaluated;
    const t1 = performance.now();
    const results = unpack(changed, timed.blob);
    this.store.withoutChangeLog(() => this.storeResults(results));
    const done = performance.now();
    phases.store = done - t1;
    phases.total = done - started;
    this.lastPhases = phases;
  }

  /** Calls Python; adds its phases (and the transfer time around them) to `phases`. */
  private async call<T>(op: string, payload: unknown, phases: RecalcPhases): Promise<TimedAnswer<T>> {
    const t0 = performance.now();
    const timed = await callPythonTimed<T>(this.docKey, op, payload);
    const roundTrip = performance.now() - t0;
    const { total = 0, parseAnswer = 0, ...python } = timed.timing;
    for (const [k, v] of Object.entries(python)) { phases[`python.${k}`] = (phases[`python.${k}`] ?? 0) + v; }
    phases.parse = (phases.parse ?? 0) + parseAnswer;
    phases.transfer = (phases.transfer ?? 0) + Math.max(0, roundTrip - total - parseAnswer);
    return timed;
  }

  /** Loads the whole document into Python and recomputes every formula. */
  private async load(phases: RecalcPhases): Promise<TimedAnswer<Answer>> {
    const t0 = performance.now();
    const data: Record<string, Record<string, CellValue[]>> = {};
    for (const t of this.store.userTables()) {
      data[t.tableId] = readColumns(this.store, t, t.columns.filter((c) => c.colId !== 'manualSort'));
    }
    phases.read = (phases.read ?? 0) + performance.now() - t0;
    const timed = await this.call<Answer>('load', { schema: schemaOf(this.store), data }, phases);
    this.loaded = true;
    this.sent = this.signatures();
    return timed;
  }

  /**
   * After a schema change: sends the new schema and only the data Python's copy lacks (new or renamed
   * tables, tables whose rows this write changed, data columns that are new or changed type/kind), then
   * every formula is recomputed (dependencies are learnt again as formulas run).
   */
  private async syncSchema(rowChanges: Map<string, TableChanges>, phases: RecalcPhases): Promise<TimedAnswer<AnswerOrReload>> {
    const t0 = performance.now();
    const data: Record<string, Record<string, CellValue[]>> = {};
    const reset: [string, string][] = [];
    for (const t of this.store.userTables()) {
      const prev = this.sent.get(t.tableId);
      const cols = t.columns.filter((c) => c.colId !== 'manualSort');
      if (!prev || rowChanges.has(t.tableId)) {
        data[t.tableId] = readColumns(this.store, t, cols);
        continue;
      }
      const changed = cols.filter((c) => prev.get(c.colId) !== signature(c));
      for (const c of changed) { if (isComputed(c)) { reset.push([t.tableId, c.colId]); } }
      const need = changed.filter((c) => !isComputed(c));
      if (need.length > 0) { data[t.tableId] = readColumns(this.store, t, need); }
    }
    phases.read = (phases.read ?? 0) + performance.now() - t0;
    const timed = await this.call<AnswerOrReload>('schema', { schema: schemaOf(this.store), data, reset }, phases);
    this.sent = this.signatures();
    return timed;
  }

  private signatures(): Map<string, Map<string, string>> {
    return new Map(this.store.userTables().map((t) => [t.tableId, new Map(t.columns.map((c) => [c.colId, signature(c)]))]));
  }

  /** Forgets the document in Python (it has no formulas any more, or is closing). */
  async drop(): Promise<void> {
    if (!this.loaded) { return; }
    this.loaded = false;
    await callPython(this.docKey, 'drop').catch(() => undefined);
  }

  /** Row deltas: current data values of added/updated rows, removed ids. */
  private deltaOf(tables: Map<string, TableChanges>): unknown[] {
    const out: unknown[] = [];
    for (const [tableId, ch] of tables) {
      const table = this.store.tables.get(tableId);
      if (!table || table.meta) { continue; }
      const touched = [...new Set([...ch.added, ...ch.updated])];
      const cols = table.columns.filter((c) => c.colId !== 'manualSort' && !(c.isFormula && c.formula !== ''));
      const rows: Record<string, CellValue[]> = { id: [] };
      for (const c of cols) { rows[c.colId] = []; }
      for (const part of chunks(touched)) {
        const got = readColumns(this.store, table, cols, `WHERE id IN (${part.map(() => '?').join(',')})`, part);
        for (const [k, v] of Object.entries(got)) { (rows[k] as CellValue[]).push(...v); }
      }
      out.push({
        tableId, added: [...ch.added], updated: [...ch.updated], removed: [...ch.removed],
        cols: [...ch.cols], given: [...ch.given], rows,
      });
    }
    return out;
  }

  /** Writes Python's results, converting each value to its column's type (what does not fit stays as is). */
  private storeResults(results: Result[]): void {
    if (results.length === 0) { return; }
    const store = this.store;
    store.write(() => {
      for (const r of results) {
        const table = store.tables.get(r.tableId);
        const col = table?.byId.get(r.colId);
        if (!table || !col) { continue; }
        if (r.id.length >= BULK_MIN && ascending(r.id)) {
          this.storeColumn(table, col, r);
          continue;
        }
        const update = store.stmt(`UPDATE ${quoteIdent(table.tableId)} SET ${quoteIdent(col.colId)} = ? WHERE id = ?`);
        for (let i = 0; i < r.id.length; i++) {
          update.run(toBind(storedOf(col, r.values[i] ?? null)), r.id[i]);
        }
      }
    });
  }

  /**
   * Stores many results of one column with a single UPDATE: SQLite walks the rows (in id order) and asks
   * {@link VALUE_FUNCTION} for each new value, instead of one statement run through the driver per cell.
   * The rows are the id range when the ids are contiguous (a whole-column recompute), else the listed ids.
   */
  private storeColumn(table: TableMeta, col: ColumnMeta, r: Result): void {
    const db = this.store.db;
    if (!this.valueFunction) {
      // directOnly: usable by this engine's own statements, never from a view, trigger or schema.
      db.function(VALUE_FUNCTION, { directOnly: true }, (id: unknown) => {
        if (!this.valueOf) { throw new Error(`${VALUE_FUNCTION} is only for the formula engine`); }
        return this.valueOf(Number(id)) as never;
      });
      this.valueFunction = true;
    }
    const ids = r.id;
    const n = ids.length;
    const values = r.values;
    // Numbers into a Numeric column are stored as they are (storedOf would return them unchanged).
    const numbers = values instanceof Float64Array && col.colType.base === 'Numeric';
    let next = 0;
    this.valueOf = (id) => {
      let i = next;
      if (ids[i] !== id) {
        i = indexOfId(ids, id);
        if (i < 0) { throw new Error(`no formula result for row ${id} of ${table.tableId}.${col.colId}`); }
      }
      next = i + 1;
      return toBind(numbers ? (values[i] as number) : storedOf(col, values[i] ?? null));
    };
    try {
      const set = `UPDATE ${quoteIdent(table.tableId)} SET ${quoteIdent(col.colId)} = ${VALUE_FUNCTION}(id)`;
      const first = ids[0] as number;
      const last = ids[n - 1] as number;
      if (last - first === n - 1) {
        this.store.stmt(`${set} WHERE id BETWEEN ? AND ?`).run(first, last);
      } else {
        this.store.stmt(`${set} WHERE id IN (SELECT value FROM json_each(?))`).run(JSON.stringify(Array.from(ids)));
      }
    } finally {
      this.valueOf = undefined;
    }
  }
}

/** The stored form of a computed value in `col`. */
function storedOf(col: ColumnMeta, value: CellValue): StoredValue {
  if (Array.isArray(value) && value[0] === 'E') { return encodeError(new CellError(String(value[1]))); }
  // An empty list a formula returns reads back as ["L"] in Grist (10 customers: `Orders`), unlike an empty
  // data cell (null): keep it as the JSON text of an empty list.
  if (Array.isArray(value) && value.length === 1 && value[0] === 'L' && ['RefList', 'ChoiceList', 'Attachments'].includes(col.colType.base)) {
    return '[]';
  }
  try {
    return encodeCell(col.colType, value, { noparse: true });
  } catch {
    return encodeError(new CellError('TypeError'));
  }
}
