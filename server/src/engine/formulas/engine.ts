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
import { chunks, toBind } from '../records.js';
import { quoteIdent } from '../schema.js';
import type { Store } from '../store.js';
import type { TableChanges } from './changes.js';
import { callPython } from './runtime.js';

/** One column's new values, as Python answers them. */
interface Result {
  tableId: string;
  colId: string;
  id: number[];
  values: CellValue[];
}

/** Python's answer to a load or a delta: changed cells and how many cells were evaluated. */
interface Answer {
  changed: Result[];
  evaluated: number;
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

/** Formula engine of one document; see the module comment. */
export class FormulaEngine {
  private readonly docKey = `doc${nextDocKey++}`;
  private loaded = false;
  /** Column signatures of Python's copy, per table: what a schema update must send again. */
  private sent = new Map<string, Map<string, string>>();
  /** Formula cells evaluated by the last recalculation (tests and benchmarks check it is only what changed). */
  lastEvaluated = 0;

  constructor(private readonly store: Store) {}

  /** Recalculates after a write described by `changes`; resolves once the results are stored. */
  async afterWrite(changes: { schema: boolean; tables: Map<string, TableChanges> }): Promise<void> {
    if (!hasFormulas(this.store)) {
      if (this.loaded) { await this.drop(); }
      return;
    }
    try {
      await this.recalculate(changes);
    } catch (err) {
      this.loaded = false; // start from a fresh copy next time
      throw err;
    }
  }

  private async recalculate(changes: { schema: boolean; tables: Map<string, TableChanges> }): Promise<void> {
    let answer: Answer | { reload: true };
    if (!this.loaded) {
      answer = await this.load();
    } else if (changes.schema) {
      answer = await this.syncSchema(changes.tables);
      if ('reload' in answer) { answer = await this.load(); }
    } else {
      const delta = this.deltaOf(changes.tables);
      if (delta.length === 0) { return; }
      answer = await callPython<Answer | { reload: true }>(this.docKey, 'apply', delta);
      // The runtime restarted (and forgot the document): load it again.
      if ('reload' in answer) { answer = await this.load(); }
    }
    const { changed, evaluated } = answer;
    this.lastEvaluated = evaluated;
    this.store.withoutChangeLog(() => this.storeResults(changed));
  }

  /** Loads the whole document into Python and recomputes every formula. */
  private async load(): Promise<Answer> {
    const data: Record<string, Record<string, CellValue[]>> = {};
    for (const t of this.store.userTables()) {
      data[t.tableId] = readColumns(this.store, t, t.columns.filter((c) => c.colId !== 'manualSort'));
    }
    const answer = await callPython<Answer>(this.docKey, 'load', { schema: schemaOf(this.store), data });
    this.loaded = true;
    this.sent = this.signatures();
    return answer;
  }

  /**
   * After a schema change: sends the new schema and only the data Python's copy lacks (new or renamed
   * tables, tables whose rows this write changed, data columns that are new or changed type/kind), then
   * every formula is recomputed (dependencies are learnt again as formulas run).
   */
  private async syncSchema(rowChanges: Map<string, TableChanges>): Promise<Answer | { reload: true }> {
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
    const answer = await callPython<Answer | { reload: true }>(this.docKey, 'schema', { schema: schemaOf(this.store), data, reset });
    this.sent = this.signatures();
    return answer;
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
        const update = store.stmt(`UPDATE ${quoteIdent(table.tableId)} SET ${quoteIdent(col.colId)} = ? WHERE id = ?`);
        for (let i = 0; i < r.id.length; i++) {
          update.run(toBind(storedOf(col, r.values[i] ?? null)), r.id[i]);
        }
      }
    });
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
