/**
 * Table operations: create (POST /tables rules, several at once, in order), rename (rewriting Ref types),
 * remove (converting references to it) and PATCH /tables. Synchronous, run inside {@link Store.write}.
 */
import { GristError } from '../backend/errors.js';
import type { ColumnFieldsInput, NewTable, TableInfo } from '../backend/types.js';
import { CellError, encodeCell, type StoredValue } from './cells.js';
import { parseColType, renameRefTarget } from './coltypes.js';
import { checkType, insertColumnMeta, specDefault, sqlLiteral, type ColumnSpec } from './columns.js';
import { invalidColumn } from './failures.js';
import { normaliseColId, normaliseTableId } from './ids.js';
import { colTypeOf } from './meta.js';
import { toBind } from './records.js';
import { quoteIdent } from './schema.js';
import { renameTableInFormula, schemaTypes } from './formulas/rename.js';
import type { Store } from './store.js';

/** What creating a table produced (for `/apply`'s AddTable answer). */
export interface CreatedTable {
  tableId: string;
  tableRef: number;
  colIds: string[];
  viewId: number;
  /** The section of the primary view. */
  viewSectionRef: number;
}

/** Table fields PATCH /tables accepts besides `tableId`. */
const TABLE_FIELDS = new Set(['primaryViewId', 'summarySourceTable', 'onDemand', 'rawViewSectionRef', 'recordCardViewSectionRef']);

/** A column spec from POST /tables: no type means a Text data column; the label never changes the id. */
function tableColumnSpec(colId: string, f: ColumnFieldsInput): ColumnSpec {
  return {
    colId, type: typeof f.type === 'string' ? f.type : 'Text', isFormula: f.isFormula === true,
    formula: typeof f.formula === 'string' ? f.formula : '', label: typeof f.label === 'string' ? f.label : colId,
    widgetOptions: typeof f.widgetOptions === 'string' ? f.widgetOptions : '',
    description: typeof f.description === 'string' ? f.description : '',
    untieColIdFromLabel: f.untieColIdFromLabel === true, visibleCol: typeof f.visibleCol === 'number' ? f.visibleCol : 0,
  };
}

/**
 * Creates one table with its hidden `manualSort` and the given columns. Its view and section refs follow
 * the numbering Grist gives successive tables: one view per table, three sections per table
 * (01 list-tables-after-create: tableRef N gets view N, raw section 3N-1, record card 3N).
 */
export function createTable(store: Store, id: string | undefined, columns: readonly ColumnSpec[], badTypeStatus: 400 | 500): CreatedTable {
  const tableId = normaliseTableId(id === '' ? undefined : id, store.userTables().map((t) => t.tableId));
  const types = columns.map((c) => checkType(c.type, badTypeStatus, tableId, c.colId));
  const maxes = store.db.prepare(`SELECT coalesce(max(id), 0) AS ref, coalesce(max(primaryViewId), 0) AS view,
      coalesce(max(recordCardViewSectionRef), 0) AS section FROM "_grist_Tables"`).get() as { ref: number; view: number; section: number };
  const tableRef = maxes.ref + 1;
  const viewId = maxes.view + 1;
  const viewSectionRef = maxes.section + 1;
  store.db.prepare(`INSERT INTO "_grist_Tables" (id, tableId, primaryViewId, summarySourceTable, onDemand, rawViewSectionRef,
      recordCardViewSectionRef) VALUES (?, ?, ?, 0, 0, ?, ?)`)
    .run(tableRef, tableId, viewId, viewSectionRef + 1, viewSectionRef + 2);
  const manualSort: ColumnSpec = {
    colId: 'manualSort', type: 'ManualSortPos', isFormula: false, formula: '', label: 'manualSort', widgetOptions: '',
    description: '', untieColIdFromLabel: false, visibleCol: 0,
  };
  insertColumnMeta(store, tableRef, manualSort);
  const existing = ['id', 'manualSort'];
  const colSql = ['id INTEGER PRIMARY KEY', '"manualSort" BLOB'];
  const colIds: string[] = [];
  columns.forEach((spec, i) => {
    const colId = normaliseColId(spec.colId === '' ? undefined : spec.colId, existing);
    existing.push(colId);
    colIds.push(colId);
    const final = { ...spec, colId, label: spec.label === spec.colId ? colId : spec.label };
    insertColumnMeta(store, tableRef, final);
    const colType = types[i] ?? colTypeOf(spec.type);
    colSql.push(`${quoteIdent(colId)} BLOB DEFAULT ${sqlLiteral(specDefault(final, colType))}`);
  });
  store.db.exec(`CREATE TABLE ${quoteIdent(tableId)} (${colSql.join(', ')})`);
  store.reload();
  return { tableId, tableRef, colIds, viewId, viewSectionRef };
}

/** `POST /tables`: tables are created in order, so later ones may reference earlier ones. */
export function createTables(store: Store, tables: readonly NewTable[]): CreatedTable[] {
  return tables.map((t) => createTable(store, t.id,
    t.columns.map((c) => tableColumnSpec(c.id ?? '', c.fields ?? {})), 500));
}

/** The column specs of a brand-new empty table: formula columns A, B, C of type Any (section 1.6). */
export function emptyTableColumns(): ColumnSpec[] {
  return ['A', 'B', 'C'].map((colId) => ({
    colId, type: 'Any', isFormula: true, formula: '', label: colId, widgetOptions: '', description: '',
    untieColIdFromLabel: false, visibleCol: 0,
  }));
}

/** Renames a table (id normalised, collisions suffixed) and rewrites Ref/RefList types pointing to it. */
export function renameTable(store: Store, tableIdOrRef: string, newTableId: string): string {
  const table = store.userTable(tableIdOrRef);
  const others = store.userTables().filter((t) => t !== table).map((t) => t.tableId);
  const finalId = normaliseTableId(newTableId, others);
  if (finalId === table.tableId) { return finalId; }
  store.db.exec(`ALTER TABLE ${quoteIdent(table.tableId)} RENAME TO ${quoteIdent(finalId)}`);
  store.db.prepare('UPDATE "_grist_Tables" SET tableId = ? WHERE id = ?').run(finalId, table.tableRef);
  const update = store.db.prepare('UPDATE "_grist_Tables_column" SET type = ? WHERE id = ?');
  const updateFormula = store.db.prepare('UPDATE "_grist_Tables_column" SET formula = ? WHERE id = ?');
  const schema = schemaTypes(store.userTables());
  for (const t of store.userTables()) {
    for (const c of t.columns) {
      const renamed = renameRefTarget(c.colType, table.tableId, finalId);
      if (renamed !== undefined) { update.run(renamed, c.colRef); }
      // Formulas naming the table (`Old.lookupRecords(...)`) follow it.
      const formula = c.formula ? renameTableInFormula(c.formula, schema, table.tableId, finalId) : c.formula;
      if (formula !== c.formula) { updateFormula.run(formula, c.colRef); }
    }
  }
  store.reload();
  return finalId;
}

/**
 * Removes a table. Other tables' `Ref:` columns to it become `Int` (ids kept), `RefList:` columns become
 * `Text` holding comma-separated ids (01 columns-goods-after-remove-referenced).
 */
export function removeTable(store: Store, tableIdOrRef: string): void {
  const table = store.userTable(tableIdOrRef);
  store.db.exec(`DROP TABLE ${quoteIdent(table.tableId)}`);
  store.db.prepare('DELETE FROM "_grist_Tables_column" WHERE parentId = ?').run(table.tableRef);
  store.db.prepare('DELETE FROM "_grist_Tables" WHERE id = ?').run(table.tableRef);
  const setType = store.db.prepare('UPDATE "_grist_Tables_column" SET type = ?, visibleCol = 0, displayCol = 0 WHERE id = ?');
  const text = parseColType('Text') ?? { raw: 'Text', base: 'Text' as const };
  for (const t of store.userTables()) {
    if (t === table) { continue; }
    for (const c of t.columns) {
      if (c.colType.refTable !== table.tableId) { continue; }
      if (c.colType.base === 'Ref') {
        setType.run('Int', c.colRef);
      } else if (c.colType.base === 'RefList') {
        setType.run('Text', c.colRef);
        if (c.computed) { continue; }
        const rows = store.db.prepare(`SELECT id, ${quoteIdent(c.colId)} FROM ${quoteIdent(t.tableId)} WHERE ${quoteIdent(c.colId)} IS NOT NULL`)
          .raw(true).all() as [number, StoredValue][];
        const update = store.db.prepare(`UPDATE ${quoteIdent(t.tableId)} SET ${quoteIdent(c.colId)} = ? WHERE id = ?`);
        for (const [id, stored] of rows) {
          const v = c.decode(stored);
          if (v instanceof CellError) { continue; }
          const textValue = Array.isArray(v) && v[0] === 'L' ? v.slice(1).join(',') : v;
          update.run(toBind(encodeCell(text, textValue as string | number | boolean | null)), id);
        }
      }
    }
  }
  store.reload();
}

/** `PATCH /tables`: checks every entry first, then applies field updates and renames. */
export function updateTables(store: Store, tables: readonly { id: string; fields: Record<string, unknown> }[]): void {
  for (const t of tables) {
    const table = store.userTable(t.id);
    for (const k of Object.keys(t.fields)) {
      if (k !== 'tableId' && !TABLE_FIELDS.has(k)) { throw invalidColumn(table.tableId, k); }
    }
  }
  for (const t of tables) {
    const table = store.userTable(t.id);
    for (const [k, v] of Object.entries(t.fields)) {
      if (k === 'tableId') { continue; }
      const value = typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'number' ? v : null;
      if (value === null) {
        throw new GristError(400, `Invalid value for ${k}: expected a number`, undefined, { kind: 'payload', table: table.tableId });
      }
      store.db.prepare(`UPDATE "_grist_Tables" SET ${quoteIdent(k)} = ? WHERE id = ?`).run(value, table.tableRef);
    }
    if (typeof t.fields.tableId === 'string') { renameTable(store, table.tableId, t.fields.tableId); }
    store.reload();
  }
}

/** `GET /tables`, in tableRef order. */
export function listTables(store: Store): TableInfo[] {
  return store.userTables().map((t) => ({ id: t.tableId, fields: { ...t.fields } }));
}
