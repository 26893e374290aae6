/**
 * Record writes: add (id assignment, manualSort, defaults), update (same-key rule, row id checks) and
 * delete (reference cleanup), plus the first-write conversion of empty formula columns. All functions are
 * synchronous and expect to run inside {@link Store.write}.
 */
import { GristError } from '../backend/errors.js';
import type { CellValue, Fields } from '../backend/types.js';
import { CellError, checkCellValue, encodeCell, encodeError, guessColType, type EncodeContext, type StoredValue } from './cells.js';
import { defaultStoredValue, parseColType } from './coltypes.js';
import { formulaColumnWrite, invalidCellValue, invalidColumn, invalidRowId } from './failures.js';
import { FORMULA_NOT_EVALUATED, type ColumnMeta, type TableMeta } from './meta.js';
import { quoteIdent } from './schema.js';
import type { Store } from './store.js';

/** Longest step of a stepped insert ({@link insertRowsInSteps}), ms. */
const STEP_MS = 10;

/** Largest number of `?` parameters put into one `IN (...)` list. */
const IN_CHUNK = 500;

/** widgetOptions Grist gives a column whose type was guessed as Date (06 columns-authors-after-write). */
const GUESSED_DATE_OPTIONS = '{"dateFormat": "YYYY-MM-DD", "isCustomDateFormat": false, "isCustomTimeFormat": true, "timeFormat": ""}';

/** Options shared by record writes. */
export interface WriteContext {
  noparse?: boolean;
}

/** Splits `items` into chunks of `size`. */
export function chunks<T>(items: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) { out.push(items.slice(i, i + size)); }
  return out;
}

/**
 * The value to bind for a stored value: whole numbers bind as SQLite integers (better-sqlite3 binds every
 * JS number as REAL), so raw SQL shows `30`, not `30.0`, as Grist's SQL does (section 7.4).
 */
export function toBind(v: StoredValue): StoredValue {
  return typeof v === 'number' && Number.isSafeInteger(v) && !Object.is(v, -0) ? BigInt(v) : v;
}

/** The stored value of a column that is not written: its default, or the error cell of a formula. */
export function unwrittenStoredValue(col: ColumnMeta): StoredValue {
  if (col.computed) { return encodeError(new CellError('NotImplementedError', FORMULA_NOT_EVALUATED)); }
  return defaultStoredValue(col.colType);
}

/** The 400 `Invalid column` error of the first name (request order) the table does not have, if any. */
export function invalidColumnIn(table: TableMeta, names: readonly string[]): GristError | undefined {
  for (const name of names) {
    if (name === 'id' || !table.byId.has(name)) { return invalidColumn(table.tableId, name); }
  }
  return undefined;
}

/**
 * Checks the column names of a write: the first unknown one (request order) is 400 `Invalid column`, a
 * computed formula column is 400 `Can't save value to formula column`.
 */
export function checkWriteColumns(table: TableMeta, names: readonly string[]): void {
  for (const name of names) {
    const col = name === 'id' ? undefined : table.byId.get(name);
    if (!col) { throw invalidColumn(table.tableId, name); }
    if (col.computed) { throw formulaColumnWrite(table.tableId, name); }
  }
}

/**
 * Turns the empty formula columns among `names` into data columns (an `Any` one gets a type guessed from
 * the values written to it), as Grist does on their first write. Returns the table's fresh metadata.
 */
export function convertEmptyFormulaColumns(
  store: Store, table: TableMeta, names: readonly string[], valuesOf: (colId: string) => CellValue[],
): TableMeta {
  const targets = names.map((n) => table.byId.get(n)).filter((c): c is ColumnMeta => c !== undefined && c.emptyFormula);
  if (targets.length === 0) { return table; }
  for (const col of targets) {
    let type = col.type;
    let widgetOptions = col.widgetOptions;
    if (col.colType.base === 'Any') {
      type = guessColType(valuesOf(col.colId));
      if (type === 'Date' && widgetOptions === '') { widgetOptions = GUESSED_DATE_OPTIONS; }
    }
    const colType = parseColType(type) ?? col.colType;
    store.db.prepare('UPDATE "_grist_Tables_column" SET isFormula = 0, type = ?, widgetOptions = ? WHERE id = ?')
      .run(type, widgetOptions, col.colRef);
    // Existing rows showed the type's default; as a data column they hold the new type's default.
    store.db.prepare(`UPDATE ${quoteIdent(table.tableId)} SET ${quoteIdent(col.colId)} = ?`).run(toBind(defaultStoredValue(colType)));
  }
  store.reload();
  return store.userTable(table.tableId);
}

/** Builds the encode context of a column: Ref columns with a visibleCol look strings up in that column. */
export function encodeContextFor(store: Store, col: ColumnMeta, noparse: boolean | undefined): EncodeContext {
  const ctx: EncodeContext = noparse ? { noparse: true } : {};
  if ((col.colType.base === 'Ref' || col.colType.base === 'RefList') && col.visibleCol && col.colType.refTable) {
    const target = store.tables.get(col.colType.refTable);
    const visible = target?.columns.find((c) => c.colRef === col.visibleCol);
    if (target && visible) {
      let map: Map<string, number> | undefined;
      ctx.lookupRef = (text) => {
        if (!map) {
          map = new Map();
          const rows = store.db.prepare(`SELECT id, ${quoteIdent(visible.colId)} AS v FROM ${quoteIdent(target.tableId)} ORDER BY id`)
            .raw(true).all() as [number, StoredValue][];
          for (const [id, stored] of rows) {
            const v = visible.decode(stored);
            if (v instanceof CellError || v === null || typeof v === 'object') { continue; }
            const key = String(v);
            if (!map.has(key)) { map.set(key, id); }
          }
        }
        return map.get(text);
      };
    }
  }
  return ctx;
}

/** Encodes one value for a column, rejecting values outside Grist's cell grammar. */
function encodeFor(table: TableMeta, col: ColumnMeta, value: CellValue, ctx: EncodeContext): StoredValue {
  const bad = checkCellValue(value);
  if (bad !== undefined) { throw invalidCellValue(table.tableId, col.colId, bad); }
  return encodeCell(col.colType, value, ctx);
}

function maxOf(store: Store, table: TableMeta, colId: string): number {
  const row = store.stmt(`SELECT max(${quoteIdent(colId)}) AS m FROM ${quoteIdent(table.tableId)}`).get() as { m: unknown };
  return typeof row.m === 'number' ? row.m : typeof row.m === 'bigint' ? Number(row.m) : 0;
}

/** Ids among `ids` that exist in the table. */
export function existingIds(store: Store, table: TableMeta, ids: readonly number[]): Set<number> {
  const found = new Set<number>();
  for (const chunk of chunks([...new Set(ids)])) {
    const rows = store.db.prepare(`SELECT id FROM ${quoteIdent(table.tableId)} WHERE id IN (${chunk.map(() => '?').join(',')})`)
      .raw(true).all(...chunk) as [number][];
    for (const [id] of rows) { found.add(id); }
  }
  return found;
}

/** Rows to insert: `ids[i]` explicit or undefined, `valueOf(i, colId)` the value or undefined when missing. */
export interface InsertSpec {
  ids: (number | undefined)[];
  names: readonly string[];
  valueOf: (i: number, colId: string) => CellValue | undefined;
  /** A missing field gets the column default instead of `null`. */
  missingAsDefault?: boolean;
  noparse?: boolean;
}

/**
 * Inserts rows with one cached prepared statement and no per-row queries. New ids are max(id)+1 onwards
 * (after any explicit ids of the same call); manualSort continues after the current maximum.
 * Columns must have been checked ({@link checkWriteColumns}) and converted already.
 */
export function insertRows(store: Store, table: TableMeta, spec: InsertSpec): number[] {
  return runSteps(insertRowsInSteps(store, table, spec, Infinity));
}

/** Runs a stepped write's steps one after the other without pausing; returns its result. */
export function runSteps<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) { return step.value; }
  }
}

/**
 * {@link insertRows} in steps of at most `stepRows` rows or about 10 ms: the generator yields between steps, so that a caller
 * holding the transaction open (`Store.writeInSteps`) can let other work run. Same rows, same ids.
 */
export function* insertRowsInSteps(store: Store, table: TableMeta, spec: InsertSpec, stepRows: number): Generator<void, number[], void> {
  const explicit = spec.ids.filter((id): id is number => id !== undefined);
  if (explicit.length) {
    const taken = existingIds(store, table, explicit);
    const dup = explicit.find((id) => taken.has(id));
    if (dup !== undefined) {
      throw new GristError(500, `[Sandbox] AssertionError docactions.[Bulk]AddRecord for existing record #${dup}`, undefined,
        { kind: 'row', table: table.tableId });
    }
  }
  // A loop, not Math.max(...ids): a spread of 100k arguments overflows the stack.
  let nextId = maxOf(store, table, 'id');
  for (const id of explicit) { if (id > nextId) { nextId = id; } }
  nextId += 1;
  const ids = spec.ids.map((id) => id ?? nextId++);
  const cols = table.columns;
  const named = new Set(spec.names);
  const hasManualSort = table.byId.has('manualSort');
  let nextMs = hasManualSort ? maxOf(store, table, 'manualSort') + 1 : 0;
  const sql = `INSERT INTO ${quoteIdent(table.tableId)} (id${cols.map((c) => `, ${quoteIdent(c.colId)}`).join('')}) ` +
    `VALUES (?${cols.map(() => ', ?').join('')})`;
  const insert = store.stmt(sql);
  // Per column: a constant for unwritten columns, else an encoder with its context.
  const plan = cols.map((col) => {
    if (!named.has(col.colId)) { return { col, constant: toBind(unwrittenStoredValue(col)), ctx: undefined, missing: null }; }
    const ctx = encodeContextFor(store, col, spec.noparse);
    const missing = toBind(spec.missingAsDefault ? defaultStoredValue(col.colType) : encodeCell(col.colType, null, ctx));
    return { col, constant: undefined, ctx, missing };
  });
  const params: unknown[] = new Array(cols.length + 1);
  let stepStartRow = 0;
  let stepStarted = performance.now();
  for (let i = 0; i < ids.length; i++) {
    params[0] = ids[i];
    for (let c = 0; c < plan.length; c++) {
      const p = plan[c] as (typeof plan)[number];
      let stored: StoredValue;
      if (p.ctx === undefined) {
        stored = p.col.colId === 'manualSort' ? toBind(nextMs) : (p.constant ?? null);
      } else {
        const v = spec.valueOf(i, p.col.colId);
        stored = v === undefined
          ? (p.col.colId === 'manualSort' ? toBind(nextMs) : p.missing)
          : toBind(encodeFor(table, p.col, v, p.ctx));
      }
      params[c + 1] = stored;
    }
    if (hasManualSort) { nextMs++; }
    insert.run(...params);
    // A step ends after `stepRows` rows or STEP_MS, whichever comes first (a busy machine is slower).
    if (stepRows !== Infinity && i + 1 < ids.length && ((i + 1 - stepStartRow) >= stepRows || ((i & 63) === 63 && performance.now() - stepStarted >= STEP_MS))) {
      yield;
      stepStartRow = i + 1;
      stepStarted = performance.now();
    }
  }
  store.changes.added(table.tableId, ids, spec.names);
  return ids;
}

/** Field names of records in request order of first appearance. */
export function namesOf(records: readonly { fields?: Fields | undefined }[]): string[] {
  const seen = new Set<string>();
  // `for...in` over own keys: no key array per record (20,000 of them for a large add).
  for (const r of records) {
    const fields = r.fields;
    if (!fields) { continue; }
    for (const k in fields) { if (Object.hasOwn(fields, k)) { seen.add(k); } }
  }
  return [...seen];
}

/** `POST /records` and `POST /data`: returns new ids in request order. */
export function addRecords(
  store: Store, tableIdOrRef: string, records: readonly { fields?: Fields }[],
  options: { noparse?: boolean; missingAsDefault?: boolean } = {},
): number[] {
  return runSteps(addRecordsInSteps(store, tableIdOrRef, records, options, Infinity));
}

/** {@link addRecords} in steps of `stepRows` rows (see {@link insertRowsInSteps}). */
export function* addRecordsInSteps(
  store: Store, tableIdOrRef: string, records: readonly { fields?: Fields }[],
  options: { noparse?: boolean; missingAsDefault?: boolean }, stepRows: number,
): Generator<void, number[], void> {
  let table = store.userTable(tableIdOrRef);
  const names = namesOf(records);
  checkWriteColumns(table, names);
  table = convertEmptyFormulaColumns(store, table, names,
    (colId) => records.map((r) => r.fields?.[colId]).filter((v): v is CellValue => v !== undefined));
  return yield* insertRowsInSteps(store, table, {
    ids: records.map(() => undefined), names, noparse: options.noparse, missingAsDefault: options.missingAsDefault,
    valueOf: (i, colId) => records[i]?.fields?.[colId],
  }, stepRows);
}

/** Sorted field names of one record: the key-set signature of the PATCH same-fields rule. */
function keySignature(fields: Fields): string {
  return Object.keys(fields).sort().join('\u0000');
}

/**
 * Updates rows: every record must name the same fields; every id must exist (else 400 `Invalid row id`,
 * nothing applied); a later entry for the same id wins.
 */
export function updateRecords(
  store: Store, tableIdOrRef: string, records: readonly { id: number; fields: Fields }[],
  options: WriteContext & { missingRow?: (id: number) => GristError } = {},
): void {
  let table = store.userTable(tableIdOrRef);
  if (records.length === 0) { return; }
  const sig = keySignature(records[0]?.fields ?? {});
  if (records.some((r) => keySignature(r.fields ?? {}) !== sig)) {
    throw new GristError(400, 'PATCH requires all records to have same fields', undefined, { kind: 'payload', table: table.tableId });
  }
  const found = existingIds(store, table, records.map((r) => r.id));
  const missing = records.find((r) => !found.has(r.id));
  if (missing) { throw options.missingRow ? options.missingRow(missing.id) : invalidRowId(table.tableId, missing.id); }
  const names = Object.keys(records[0]?.fields ?? {});
  if (names.length === 0) { return; }
  checkWriteColumns(table, names);
  table = convertEmptyFormulaColumns(store, table, names, (colId) => records.map((r) => r.fields?.[colId] ?? null));
  const cols = names.map((n) => table.byId.get(n) as ColumnMeta);
  const ctxs = cols.map((c) => encodeContextFor(store, c, options.noparse));
  const update = store.stmt(`UPDATE ${quoteIdent(table.tableId)} SET ${cols.map((c) => `${quoteIdent(c.colId)} = ?`).join(', ')} WHERE id = ?`);
  const params: unknown[] = new Array(cols.length + 1);
  for (const r of records) {
    for (let c = 0; c < cols.length; c++) {
      params[c] = toBind(encodeFor(table, cols[c] as ColumnMeta, r.fields[(cols[c] as ColumnMeta).colId] ?? null, ctxs[c] as EncodeContext));
    }
    params[cols.length] = r.id;
    update.run(...params);
  }
  store.changes.updated(table.tableId, records.map((r) => r.id), names);
}

/**
 * Deletes rows (missing ids ignored) and, as Grist does, resets references to them: Ref cells become 0,
 * RefList cells lose the deleted ids. Returns how many rows were deleted.
 */
export function deleteRecords(store: Store, tableIdOrRef: string, ids: readonly number[]): number {
  const table = store.userTable(tableIdOrRef);
  const unique = [...new Set(ids)];
  let deleted = 0;
  for (const chunk of chunks(unique)) {
    deleted += store.db.prepare(`DELETE FROM ${quoteIdent(table.tableId)} WHERE id IN (${chunk.map(() => '?').join(',')})`)
      .run(...chunk).changes;
  }
  if (deleted > 0) {
    store.changes.removed(table.tableId, unique);
    resetReferences(store, table.tableId, new Set(unique));
  }
  return deleted;
}

/** Resets Ref/RefList cells of every table that point to deleted rows of `tableId`. */
function resetReferences(store: Store, tableId: string, gone: Set<number>): void {
  for (const t of store.userTables()) {
    for (const col of t.columns) {
      if (col.computed || col.colType.refTable !== tableId) { continue; }
      if (col.colType.base === 'Ref') {
        const zero = toBind(encodeCell(col.colType, 0));
        for (const chunk of chunks([...gone])) {
          const hit = store.db.prepare(`SELECT id FROM ${quoteIdent(t.tableId)} WHERE ${quoteIdent(col.colId)} IN (${chunk.map(() => '?').join(',')})`)
            .raw(true).all(...chunk) as [number][];
          store.changes.updated(t.tableId, hit.map(([id]) => id), [col.colId]);
          store.db.prepare(`UPDATE ${quoteIdent(t.tableId)} SET ${quoteIdent(col.colId)} = ? WHERE ${quoteIdent(col.colId)} IN (${chunk.map(() => '?').join(',')})`)
            .run(zero, ...chunk);
        }
      } else if (col.colType.base === 'RefList') {
        const rows = store.db.prepare(`SELECT id, ${quoteIdent(col.colId)} FROM ${quoteIdent(t.tableId)} WHERE ${quoteIdent(col.colId)} IS NOT NULL`)
          .raw(true).all() as [number, StoredValue][];
        const update = store.db.prepare(`UPDATE ${quoteIdent(t.tableId)} SET ${quoteIdent(col.colId)} = ? WHERE id = ?`);
        for (const [id, stored] of rows) {
          const v = col.decode(stored);
          if (!Array.isArray(v) || v[0] !== 'L') { continue; }
          const items = v.slice(1);
          const kept = items.filter((x) => !(typeof x === 'number' && gone.has(x)));
          if (kept.length !== items.length) {
            update.run(toBind(encodeCell(col.colType, kept.length ? (['L', ...kept] as CellValue) : null)), id);
            store.changes.updated(t.tableId, [id], [col.colId]);
          }
        }
      }
    }
  }
}
