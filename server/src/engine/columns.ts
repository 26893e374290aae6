/**
 * Column operations: add (POST /columns rules), modify (PATCH rules: type conversion, formula <-> data,
 * label/colId tying, renames), put (noadd/noupdate/replaceall) and delete. Synchronous, run inside
 * {@link Store.write}.
 */
import { GristError } from '../backend/errors.js';
import type { ColumnFieldsInput, ColumnInfo, NewColumn } from '../backend/types.js';
import { convertStoredCell, type StoredValue } from './cells.js';
import { parseColType, unknownTypeName, type ColType } from './coltypes.js';
import { invalidColumn, unknownType } from './failures.js';
import { normaliseColId } from './ids.js';
import { columnInfo, DISPLAY_HELPER_PREFIX, makeDecoder, type ColumnMeta, type TableMeta } from './meta.js';
import { chunks, toBind, unwrittenStoredValue } from './records.js';
import { quoteIdent } from './schema.js';
import { renameColumnInFormula, schemaTypes } from './formulas/rename.js';
import type { Store } from './store.js';

/** A column definition ready to be stored. */
export interface ColumnSpec {
  colId: string;
  type: string;
  isFormula: boolean;
  formula: string;
  label: string;
  widgetOptions: string;
  description: string;
  untieColIdFromLabel: boolean;
  visibleCol: number;
}

/** Writable `_grist_Tables_column` fields of PATCH /columns (others are 400 `Invalid column`). */
const PATCHABLE = new Set([
  'colId', 'type', 'widgetOptions', 'isFormula', 'formula', 'label', 'description', 'untieColIdFromLabel',
  'summarySourceCol', 'displayCol', 'visibleCol', 'rules', 'reverseCol', 'recalcWhen', 'recalcDeps', 'parentPos',
]);

/** Parses a requested type, throwing Grist's AttributeError for an unknown type name. */
export function checkType(raw: string, status: 400 | 500, tableId: string, colId?: string): ColType {
  const t = parseColType(raw);
  if (!t) { throw unknownType(unknownTypeName(raw), status, tableId, colId); }
  return t;
}

/** An SQLite literal for a column DEFAULT. */
export function sqlLiteral(v: StoredValue): string {
  if (v === null) { return 'NULL'; }
  if (typeof v === 'number') { return Number.isFinite(v) ? String(v) : 'NULL'; }
  if (typeof v === 'bigint') { return v.toString(); }
  if (typeof v === 'string') { return `'${v.replace(/'/g, "''")}'`; }
  return `X'${Buffer.from(v).toString('hex')}'`;
}

/** Inserts a column's metadata row; colRef is document-wide max+1 and parentPos follows it. */
export function insertColumnMeta(store: Store, tableRef: number, spec: ColumnSpec): number {
  const row = store.db.prepare('SELECT coalesce(max(id), 0) AS m FROM "_grist_Tables_column"').get() as { m: number };
  const colRef = row.m + 1;
  store.db.prepare(`INSERT INTO "_grist_Tables_column" (id, parentId, parentPos, colId, type, widgetOptions, isFormula,
      formula, label, description, untieColIdFromLabel, visibleCol) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(colRef, tableRef, colRef, spec.colId, spec.type, spec.widgetOptions, spec.isFormula ? 1 : 0, spec.formula,
      spec.label, spec.description, spec.untieColIdFromLabel ? 1 : 0, spec.visibleCol);
  return colRef;
}

/** The stored value new rows and existing rows get for a column spec. */
export function specDefault(spec: ColumnSpec, colType: ColType): StoredValue {
  const isComputed = spec.isFormula && spec.formula !== '';
  return unwrittenStoredValue({ colType, computed: isComputed } as ColumnMeta);
}

function str(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v : fallback;
}

/** The spec of a column added by POST /columns: an empty formula column unless `isFormula: false`. */
function postColumnSpec(colId: string, f: ColumnFieldsInput): ColumnSpec {
  return {
    colId, type: str(f.type, 'Any'), isFormula: f.isFormula !== false, formula: str(f.formula, ''),
    label: str(f.label, colId), widgetOptions: str(f.widgetOptions, ''),
    // Grist does not store a description given at creation (06 columns-after-post).
    description: '', untieColIdFromLabel: f.untieColIdFromLabel === true,
    visibleCol: typeof f.visibleCol === 'number' ? f.visibleCol : 0,
  };
}

/** `POST /columns`: returns the final ids and colRefs in request order. */
export function addColumns(store: Store, tableIdOrRef: string, columns: readonly NewColumn[]): { colId: string; colRef: number }[] {
  const table = store.userTable(tableIdOrRef);
  const existing = ['id', ...table.columns.map((c) => c.colId)];
  const out: { colId: string; colRef: number }[] = [];
  for (const c of columns) {
    const fields = c.fields ?? {};
    const colType = checkType(str(fields.type, 'Any'), 400, table.tableId, c.id);
    const colId = normaliseColId(c.id === '' ? undefined : c.id, existing);
    existing.push(colId);
    const spec = postColumnSpec(colId, fields);
    const colRef = insertColumnMeta(store, table.tableRef, spec);
    store.db.exec(`ALTER TABLE ${quoteIdent(table.tableId)} ADD COLUMN ${quoteIdent(colId)} BLOB DEFAULT ${sqlLiteral(specDefault(spec, colType))}`);
    out.push({ colId, colRef });
  }
  store.reload();
  return out;
}

/** `GET /columns`. Metadata tables are refused with Grist's 500. */
export function listColumns(store: Store, tableIdOrRef: string, hidden: boolean | undefined): ColumnInfo[] {
  const table = store.resolve(tableIdOrRef);
  if (table.meta) {
    throw new GristError(500, 'getTableCols not available for meta tables', undefined, { kind: 'table', table: table.tableId });
  }
  return table.columns.filter((c) => hidden || !c.hidden).map(columnInfo);
}

function columnNotFound(table: TableMeta, colId: string): GristError {
  return new GristError(404, `Column not found "${colId}"`, undefined, { kind: 'column', table: table.tableId, column: colId });
}

/** Checks one PATCH entry (column exists, known fields, known type) before anything is changed. */
function checkPatch(table: TableMeta, colId: string, fields: ColumnFieldsInput): ColumnMeta {
  const col = colId === 'id' ? undefined : table.byId.get(colId);
  if (!col) { throw columnNotFound(table, colId); }
  for (const k of Object.keys(fields)) {
    if (!PATCHABLE.has(k)) { throw invalidColumn(table.tableId, k); }
  }
  if (fields.type !== undefined) { checkType(str(fields.type, ''), 400, table.tableId, colId); }
  if (fields.widgetOptions !== undefined && typeof fields.widgetOptions !== 'string') {
    throw new GristError(400, 'Invalid payload', { userError: `Error: ${table.tableId}.${colId} fields.widgetOptions is not a string` },
      { kind: 'payload', table: table.tableId, column: colId });
  }
  return col;
}

/**
 * A cheap stand-in for Python's parser: false for formulas that clearly do not parse (unbalanced brackets
 * or quotes, a trailing operator). Grist leaves such formulas alone on a rename (06 columns-after-renames).
 */
export function mayParse(formula: string): boolean {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  let quote: string | undefined;
  // The last character of code outside strings and comments: an operator there means an unfinished expression.
  let last = '';
  for (let i = 0; i < formula.length; i++) {
    const ch = formula[i] as string;
    if (quote) {
      if (ch === '\\') { i++; } else if (ch === quote) { quote = undefined; last = ch; }
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '#') {
      while (i + 1 < formula.length && formula[i + 1] !== '\n') { i++; }
    } else {
      if (ch === '(' || ch === '[' || ch === '{') { stack.push(ch); }
      else if (ch in pairs && stack.pop() !== pairs[ch]) { return false; }
      if (!/\s/.test(ch)) { last = ch; }
    }
  }
  if (quote || stack.length) { return false; }
  return !'-+*/%<>=,.&|^~([{:'.includes(last) || last === '';
}

/**
 * Rewrites references to a renamed column in every formula of the document (`$Old`, `rec.Old`,
 * `$Ref.Old`, lookup keywords: formulas/rename.ts). Formulas that do not parse are left alone.
 */
function rewriteFormulas(store: Store, table: TableMeta, oldId: string, newId: string): void {
  const schema = schemaTypes(store.userTables());
  const update = store.db.prepare('UPDATE "_grist_Tables_column" SET formula = ? WHERE id = ?');
  for (const t of store.userTables()) {
    for (const c of t.columns) {
      if (!c.formula || !mayParse(c.formula)) { continue; }
      const next = renameColumnInFormula(c.formula, t.tableId, schema, table.tableId, oldId, newId);
      if (next !== c.formula) { update.run(next, c.colRef); }
    }
  }
}

/** Converts every stored cell of a column from one type to another, in id batches. */
function convertColumnData(store: Store, table: TableMeta, colId: string, from: ColType, to: ColType): void {
  const rows = store.db.prepare(`SELECT id, ${quoteIdent(colId)} FROM ${quoteIdent(table.tableId)}`).raw(true).all() as [number, StoredValue][];
  const update = store.db.prepare(`UPDATE ${quoteIdent(table.tableId)} SET ${quoteIdent(colId)} = ? WHERE id = ?`);
  for (const batch of chunks(rows, 1000)) {
    for (const [id, stored] of batch) { update.run(toBind(convertStoredCell(from, to, stored)), id); }
  }
}

/** The table a `Ref:T` / `RefList:T` type points to. */
function refTarget(type: string): string | undefined {
  const m = /^Ref(?:List)?:(.+)$/.exec(type);
  return m?.[1];
}

/** Applies one PATCH entry; the entry must have been checked with {@link checkPatch}. Returns the final colId. */
function modifyOne(store: Store, table: TableMeta, col: ColumnMeta, fields: ColumnFieldsInput): string {
  const type = str(fields.type, col.type);
  const colType = checkType(type, 400, table.tableId, col.colId);
  const isFormula = typeof fields.isFormula === 'boolean' ? fields.isFormula : col.isFormula;
  const formula = str(fields.formula, col.formula);
  const label = str(fields.label, col.label);
  const untie = typeof fields.untieColIdFromLabel === 'boolean' ? fields.untieColIdFromLabel : col.untieColIdFromLabel;
  const others = ['id', ...table.columns.filter((c) => c !== col).map((c) => c.colId)];
  let colId = col.colId;
  if (typeof fields.colId === 'string') {
    colId = normaliseColId(fields.colId, others);
  } else if (typeof fields.label === 'string' && !untie) {
    colId = normaliseColId(fields.label, others);
  }
  const t = quoteIdent(table.tableId);
  // Stored data: a formula that changed (or a column becoming one) holds the unwritten value until the
  // formula engine stores the new values; data columns keep (and convert) theirs. When only the formula
  // text of a formula column changed, its cells keep their values until the formula engine stores the new
  // ones (one write of the whole column instead of two); the engine clears them if it cannot.
  let stale = false;
  if (isFormula && col.isFormula && col.formula !== '' && formula !== '' && formula !== col.formula && type === col.type) {
    stale = true;
  } else if (isFormula && (!col.isFormula || formula !== col.formula || type !== col.type)) {
    const stored = unwrittenStoredValue({ colType, computed: formula !== '' } as ColumnMeta);
    store.db.prepare(`UPDATE ${t} SET ${quoteIdent(col.colId)} = ?`).run(toBind(stored));
  } else if (type !== col.type && !col.computed) {
    convertColumnData(store, table, col.colId, col.colType, colType);
  }
  if (colId !== col.colId) {
    store.db.exec(`ALTER TABLE ${t} RENAME COLUMN ${quoteIdent(col.colId)} TO ${quoteIdent(colId)}`);
    rewriteFormulas(store, table, col.colId, colId);
  }
  // A type change that is not between Ref/RefList types of one table unsets displayCol and visibleCol
  // unless they are given (as Grist does); the display helper then goes (dropUnusedDisplayHelpers).
  const keepsRef = refTarget(type) !== undefined && refTarget(type) === refTarget(col.type);
  const typeResets = typeof fields.type === 'string' && !keepsRef;
  const num = (k: string, cur: number): number =>
    (typeof fields[k] === 'number' ? (fields[k] as number) : typeResets && (k === 'displayCol' || k === 'visibleCol') ? 0 : cur);
  const json = (k: string, cur: unknown): string | null => {
    const v = k in fields ? fields[k] : cur;
    return v === null || v === undefined ? null : JSON.stringify(v);
  };
  store.db.prepare(`UPDATE "_grist_Tables_column" SET colId = ?, type = ?, widgetOptions = ?, isFormula = ?, formula = ?,
      label = ?, description = ?, untieColIdFromLabel = ?, summarySourceCol = ?, displayCol = ?, visibleCol = ?, rules = ?,
      reverseCol = ?, recalcWhen = ?, recalcDeps = ?, parentPos = ? WHERE id = ?`)
    .run(colId, type, str(fields.widgetOptions, col.widgetOptions), isFormula ? 1 : 0, formula, label,
      str(fields.description, col.description), untie ? 1 : 0, num('summarySourceCol', col.summarySourceCol),
      num('displayCol', col.displayCol), num('visibleCol', col.visibleCol), json('rules', col.rules),
      num('reverseCol', col.reverseCol), num('recalcWhen', col.recalcWhen), json('recalcDeps', col.recalcDeps),
      num('parentPos', col.parentPos), col.colRef);
  if (stale) { store.changes.staleFormula(table.tableId, colId); }
  // Keep the cached decoder honest until the caller reloads.
  col.decode = makeDecoder(colType, isFormula, formula);
  return colId;
}

/** `PATCH /columns`: every entry names the same fields; each is applied in order. */
export function modifyColumns(store: Store, tableIdOrRef: string, columns: readonly { id: string; fields: ColumnFieldsInput }[]): void {
  let table = store.userTable(tableIdOrRef);
  const sig = (f: ColumnFieldsInput): string => Object.keys(f).sort().join('\u0000');
  const first = columns[0];
  if (first && columns.some((c) => sig(c.fields) !== sig(first.fields))) {
    throw new GristError(400, 'PATCH requires all records to have same fields', undefined, { kind: 'payload', table: table.tableId });
  }
  for (const c of columns) { checkPatch(table, c.id, c.fields); }
  for (const c of columns) {
    const col = checkPatch(table, c.id, c.fields);
    modifyOne(store, table, col, c.fields);
    store.reload();
    table = store.userTable(table.tableId);
  }
  // A displayCol changed by PATCH may leave a display helper unused (Grist auto-removes it).
  if (columns.some((c) => 'displayCol' in c.fields || 'type' in c.fields)) { dropUnusedDisplayHelpers(store); }
}

/** `DELETE /columns/{colId}`: `id` and unknown tables/columns are 404 `Table or column not found "T.C"`. */
export function deleteColumn(store: Store, tableIdOrRef: string, colId: string): void {
  const notFound = (): GristError => new GristError(404, `Table or column not found "${tableIdOrRef}.${colId}"`, undefined,
    { kind: 'column', table: tableIdOrRef, column: colId });
  const table = store.tables.get(tableIdOrRef) ?? (/^\d+$/.test(tableIdOrRef) ? store.byRef.get(Number(tableIdOrRef)) : undefined);
  const col = table && !table.meta && colId !== 'id' ? table.byId.get(colId) : undefined;
  if (!table || !col) { throw notFound(); }
  store.db.exec(`ALTER TABLE ${quoteIdent(table.tableId)} DROP COLUMN ${quoteIdent(col.colId)}`);
  store.db.prepare('DELETE FROM "_grist_Tables_column" WHERE id = ?').run(col.colRef);
  // Columns showing the removed column lose their display helper too (Grist removes those helpers with it).
  store.db.prepare('UPDATE "_grist_Tables_column" SET displayCol = 0, visibleCol = 0 WHERE visibleCol = ?').run(col.colRef);
  store.db.prepare('UPDATE "_grist_Tables_column" SET displayCol = 0 WHERE displayCol = ?').run(col.colRef);
  store.reload();
  dropUnusedDisplayHelpers(store);
}

/**
 * Removes every display helper column (`gristHelper_Display*`) that no column uses as its `displayCol`
 * any more, as Grist auto-removes them after each action (display.ts). Reloads the metadata if it removed any.
 */
export function dropUnusedDisplayHelpers(store: Store): void {
  const unused = store.db.prepare(`SELECT c.id AS colRef, c.colId AS colId, t.tableId AS tableId
      FROM "_grist_Tables_column" c JOIN "_grist_Tables" t ON t.id = c.parentId
      WHERE substr(c.colId, 1, ?) = ?
        AND NOT EXISTS (SELECT 1 FROM "_grist_Tables_column" u WHERE u.displayCol = c.id)`)
    .all(DISPLAY_HELPER_PREFIX.length, DISPLAY_HELPER_PREFIX) as { colRef: number; colId: string; tableId: string }[];
  if (unused.length === 0) { return; }
  for (const h of unused) {
    store.db.exec(`ALTER TABLE ${quoteIdent(h.tableId)} DROP COLUMN ${quoteIdent(h.colId)}`);
    store.db.prepare('DELETE FROM "_grist_Tables_column" WHERE id = ?').run(h.colRef);
  }
  store.reload();
}

/** `PUT /columns`: update existing, add missing (as POST /columns), optionally remove the others. */
export function putColumns(
  store: Store, tableIdOrRef: string, columns: readonly { id: string; fields: ColumnFieldsInput }[],
  options: { noadd?: boolean; noupdate?: boolean; replaceall?: boolean } = {},
): void {
  let table = store.userTable(tableIdOrRef);
  const keep = new Set<string>();
  for (const c of columns) {
    const existing = c.id === 'id' ? undefined : table.byId.get(c.id);
    if (existing) {
      keep.add(existing.colId);
      if (options.noupdate) { continue; }
      const col = checkPatch(table, c.id, c.fields);
      keep.add(modifyOne(store, table, col, c.fields));
    } else {
      if (options.noadd) { continue; }
      const [added] = addColumns(store, table.tableId, [{ id: c.id, fields: c.fields }]);
      if (added) { keep.add(added.colId); }
    }
    store.reload();
    table = store.userTable(table.tableId);
  }
  if (options.replaceall) {
    for (const col of table.columns) {
      if (!col.hidden && !keep.has(col.colId)) { deleteColumn(store, table.tableId, col.colId); }
    }
  }
  dropUnusedDisplayHelpers(store);
}
