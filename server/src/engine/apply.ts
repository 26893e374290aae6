/**
 * `POST /apply`: Grist user actions (section 9) applied atomically, with Grist's retValues and its 500
 * `[Sandbox] ...` error texts. Runs inside one {@link Store.write}.
 */
import { createHash } from 'node:crypto';
import { GristError, isGristError } from '../backend/errors.js';
import type { CellValue, ColumnFieldsInput, Fields, UpsertOptions } from '../backend/types.js';
import type { ApplyResult } from './api.js';
import { addColumns, deleteColumn, modifyColumns } from './columns.js';
import { setDisplayFormula } from './display.js';
import {
  checkWriteColumns, convertEmptyFormulaColumns, deleteRecords, insertRows, updateRecords,
} from './records.js';
import { getMetaNumber, quoteIdent, setMetaNumber } from './schema.js';
import type { Store } from './store.js';
import { createTable, emptyTableColumns, removeTable, renameTable } from './tables.js';
import type { ColumnSpec } from './columns.js';
import { upsertRecords } from './upsert.js';

/** Actions this engine applies; any other name is refused as Grist's access rules refuse it. */
const KNOWN = new Set([
  'AddRecord', 'BulkAddRecord', 'UpdateRecord', 'BulkUpdateRecord', 'RemoveRecord', 'BulkRemoveRecord',
  'ReplaceTableData', 'AddOrUpdateRecord', 'BulkAddOrUpdateRecord', 'AddTable', 'AddEmptyTable', 'RenameTable',
  'RemoveTable', 'AddColumn', 'RenameColumn', 'ModifyColumn', 'RemoveColumn', 'SetDisplayFormula',
]);

/** A 500 with the data engine's text. */
function sandbox(text: string): GristError {
  return new GristError(500, `[Sandbox] ${text}`, undefined, { kind: 'payload' });
}

/** Re-words an error of a REST-level operation the way the data engine reports it inside /apply. */
function asSandbox(err: unknown): unknown {
  if (!isGristError(err) || err.status === 500) { return err; }
  const stripped = err.message.replace(/^Error manipulating data: \[Sandbox\] /, '');
  return new GristError(500, stripped.startsWith('[Sandbox]') ? stripped : `[Sandbox] ${stripped}`, undefined, err.extra);
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') { throw sandbox(`TypeError ${what} must be a string`); }
  return v;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === null || v === undefined) { return {}; }
  if (typeof v !== 'object' || Array.isArray(v)) { throw sandbox(`TypeError ${what} must be an object`); }
  return v as Record<string, unknown>;
}

function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) { throw sandbox(`TypeError ${what} must be a list`); }
  return v;
}

/** Column-oriented values `{col: [v0, v1, ...]}` -> one Fields object per row. */
function rowsOf(columns: Record<string, unknown>, count: number): Fields[] {
  const out: Fields[] = Array.from({ length: count }, () => ({}));
  for (const [colId, values] of Object.entries(columns)) {
    const arr = list(values, `values of ${colId}`);
    for (let i = 0; i < count; i++) { (out[i] as Fields)[colId] = (arr[i] ?? null) as CellValue; }
  }
  return out;
}

/** The table of a record action; unknown is the data engine's KeyError. */
function recordTable(store: Store, tableId: unknown): string {
  const id = str(tableId, 'table id');
  const t = store.tables.get(id);
  if (!t || t.meta) { throw sandbox(`KeyError '${id}'`); }
  return t.tableId;
}

function tableForSchema(store: Store, tableId: unknown): string {
  const id = str(tableId, 'table id');
  const t = store.tables.get(id);
  if (!t || t.meta) { throw sandbox(`ValueError No such table: ${id}`); }
  return t.tableId;
}

function columnFor(store: Store, tableId: string, colId: unknown): string {
  const id = str(colId, 'column id');
  const t = store.userTable(tableId);
  if (id === 'id' || !t.byId.has(id)) { throw sandbox(`ValueError No such column: ${tableId}.${id}`); }
  return id;
}

/** Adds rows with optional explicit ids (AddRecord / BulkAddRecord). */
function addRows(store: Store, tableId: string, ids: (number | null)[], rows: Fields[], noparse: boolean | undefined): number[] {
  let table = store.userTable(tableId);
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  checkWriteColumns(table, names);
  table = convertEmptyFormulaColumns(store, table, names, (c) => rows.map((r) => r[c] ?? null));
  return insertRows(store, table, {
    ids: ids.map((id) => (typeof id === 'number' ? id : undefined)), names, noparse, missingAsDefault: true,
    valueOf: (i, c) => rows[i]?.[c],
  });
}

function updateRows(store: Store, tableId: string, ids: number[], rows: Fields[], noparse: boolean | undefined): void {
  updateRecords(store, tableId, ids.map((id, i) => ({ id, fields: rows[i] ?? {} })), {
    noparse,
    missingRow: (id) => sandbox(`AssertionError docactions.[Bulk]UpdateRecord for non-existent record #${id}`),
  });
}

/** A colInfo of AddTable/AddColumn -> a column spec (data column unless isFormula). */
function specOf(info: Record<string, unknown>, colId: string): ColumnSpec {
  const isFormula = info.isFormula === true || (info.isFormula === undefined && typeof info.formula === 'string' && info.formula !== '');
  return {
    colId, type: typeof info.type === 'string' ? info.type : 'Any', isFormula,
    formula: typeof info.formula === 'string' ? info.formula : '', label: typeof info.label === 'string' ? info.label : colId,
    widgetOptions: typeof info.widgetOptions === 'string' ? info.widgetOptions : '', description: '',
    untieColIdFromLabel: info.untieColIdFromLabel === true, visibleCol: typeof info.visibleCol === 'number' ? info.visibleCol : 0,
  };
}

/** Applies one action and returns its retValue; also tells whether it modified anything. */
function applyOne(store: Store, action: unknown[], noparse: boolean | undefined): { ret: unknown; modified: boolean } {
  const [name, ...args] = action;
  switch (name) {
    case 'AddRecord': {
      const t = recordTable(store, args[0]);
      const [id] = addRows(store, t, [typeof args[1] === 'number' ? args[1] : null], [obj(args[2], 'values') as Fields], noparse);
      return { ret: id, modified: true };
    }
    case 'BulkAddRecord': {
      const t = recordTable(store, args[0]);
      const ids = list(args[1], 'row ids').map((x) => (typeof x === 'number' ? x : null));
      return { ret: addRows(store, t, ids, rowsOf(obj(args[2], 'values'), ids.length), noparse), modified: ids.length > 0 };
    }
    case 'UpdateRecord': {
      const t = recordTable(store, args[0]);
      updateRows(store, t, [Number(args[1])], [obj(args[2], 'values') as Fields], noparse);
      return { ret: null, modified: true };
    }
    case 'BulkUpdateRecord': {
      const t = recordTable(store, args[0]);
      const ids = list(args[1], 'row ids').map(Number);
      updateRows(store, t, ids, rowsOf(obj(args[2], 'values'), ids.length), noparse);
      return { ret: null, modified: ids.length > 0 };
    }
    case 'RemoveRecord': {
      const t = recordTable(store, args[0]);
      deleteRecords(store, t, [Number(args[1])]);
      // Grist counts a removal as a modification even when the row was already gone (04 remove-record-via-apply-missing).
      return { ret: null, modified: true };
    }
    case 'BulkRemoveRecord': {
      const t = recordTable(store, args[0]);
      const ids = list(args[1], 'row ids').map(Number);
      deleteRecords(store, t, ids);
      return { ret: null, modified: ids.length > 0 };
    }
    case 'ReplaceTableData': {
      const t = recordTable(store, args[0]);
      const gone = store.db.prepare(`SELECT id FROM ${quoteIdent(t)}`).raw(true).all() as [number][];
      store.db.exec(`DELETE FROM ${quoteIdent(t)}`);
      store.changes.removed(t, gone.map(([id]) => id));
      const ids = list(args[1], 'row ids').map((x) => (typeof x === 'number' ? x : null));
      addRows(store, t, ids, rowsOf(obj(args[2], 'values'), ids.length), noparse);
      return { ret: null, modified: true };
    }
    case 'AddOrUpdateRecord':
    case 'BulkAddOrUpdateRecord': {
      const t = recordTable(store, args[0]);
      const opts = obj(args[3], 'options');
      const options: UpsertOptions = {
        noparse,
        onmany: (typeof opts.on_many === 'string' ? opts.on_many : 'first') as UpsertOptions['onmany'],
        noadd: opts.add === false, noupdate: opts.update === false, allowEmptyRequire: opts.allow_empty_require === true,
      };
      if (name === 'AddOrUpdateRecord') {
        const res = upsertRecords(store, t, [{ require: obj(args[1], 'require') as Fields, fields: obj(args[2], 'values') as Fields }], options);
        return { ret: null, modified: res.addRecordIds.length > 0 || res.updateRecordIds.length > 0 };
      }
      const require = obj(args[1], 'require');
      const values = obj(args[2], 'values');
      const count = Math.max(0, ...Object.values(require).map((v) => (Array.isArray(v) ? v.length : 0)));
      const reqRows = rowsOf(require, count);
      const valRows = rowsOf(values, count);
      const res = upsertRecords(store, t, reqRows.map((r, i) => ({ require: r, fields: valRows[i] ?? {} })), options);
      return { ret: res, modified: res.addRecordIds.length > 0 || res.updateRecordIds.length > 0 };
    }
    case 'AddTable':
    case 'AddEmptyTable': {
      const requested = args[0] === null || args[0] === undefined ? undefined : str(args[0], 'table id');
      const specs = name === 'AddEmptyTable' ? emptyTableColumns()
        : list(args[1], 'columns').map((c) => { const info = obj(c, 'column'); return specOf(info, typeof info.id === 'string' ? info.id : ''); });
      const created = createTable(store, requested, specs, 500);
      return {
        ret: { id: created.tableRef, table_id: created.tableId, columns: created.colIds, views: [{ id: created.viewId, sections: [created.viewSectionRef] }] },
        modified: true,
      };
    }
    case 'RenameTable': {
      const t = tableForSchema(store, args[0]);
      return { ret: renameTable(store, t, str(args[1], 'new table id')), modified: true };
    }
    case 'RemoveTable': {
      removeTable(store, tableForSchema(store, args[0]));
      return { ret: null, modified: true };
    }
    case 'AddColumn': {
      const t = tableForSchema(store, args[0]);
      // Same defaults as POST /columns (which Grist implements with this action): an empty formula column
      // unless isFormula is false, type Any when none is given.
      const info = obj(args[2], 'column info') as ColumnFieldsInput;
      const [added] = addColumns(store, t, [{ id: typeof args[1] === 'string' ? args[1] : '', fields: info }]);
      return { ret: added ? { colRef: added.colRef, colId: added.colId } : null, modified: true };
    }
    case 'RenameColumn': {
      const t = tableForSchema(store, args[0]);
      const c = columnFor(store, t, args[1]);
      const colRef = store.userTable(t).byId.get(c)?.colRef;
      modifyColumns(store, t, [{ id: c, fields: { colId: str(args[2], 'new column id') } }]);
      return { ret: store.userTable(t).columns.find((x) => x.colRef === colRef)?.colId ?? null, modified: true };
    }
    case 'ModifyColumn': {
      const t = tableForSchema(store, args[0]);
      const c = columnFor(store, t, args[1]);
      modifyColumns(store, t, [{ id: c, fields: obj(args[2], 'column info') as ColumnFieldsInput }]);
      return { ret: null, modified: true };
    }
    case 'RemoveColumn': {
      const t = tableForSchema(store, args[0]);
      deleteColumn(store, t, columnFor(store, t, args[1]));
      return { ret: null, modified: true };
    }
    case 'SetDisplayFormula': {
      setDisplayFormula(store, tableForSchema(store, args[0]), args[1], args[2], args[3]);
      return { ret: null, modified: true };
    }
    default:
      throw new GristError(500, `Blocked by access rules: '${String(name)}' actions are not controlled`, undefined, { kind: 'payload' });
  }
}

/** Applies the bundle atomically; `actionNum` increments per applied bundle. */
export function applyUserActions(store: Store, actions: unknown, noparse: boolean | undefined): ApplyResult {
  if (!Array.isArray(actions)) { throw new GristError(500, '`actions` parameter should be an array.', undefined, { kind: 'payload' }); }
  for (const a of actions) {
    const name = Array.isArray(a) ? a[0] : undefined;
    if (typeof name !== 'string' || !KNOWN.has(name)) {
      throw new GristError(500, `Blocked by access rules: '${String(name)}' actions are not controlled`, undefined, { kind: 'payload' });
    }
  }
  return store.write(() => {
    const retValues: unknown[] = [];
    let isModification = false;
    for (const a of actions as unknown[][]) {
      try {
        const { ret, modified } = applyOne(store, a, noparse);
        retValues.push(ret);
        isModification ||= modified;
      } catch (err) {
        throw asSandbox(err);
      }
    }
    const actionNum = getMetaNumber(store.db, 'actionNum') + 1;
    setMetaNumber(store.db, 'actionNum', actionNum);
    const actionHash = actions.length === 0 ? null
      : createHash('sha256').update(`${actionNum}:${JSON.stringify(actions)}`).digest('hex').slice(0, 40);
    return { actionNum, actionHash, retValues, isModification };
  });
}
