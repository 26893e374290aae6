/**
 * `PUT /records` (upsert) and `BulkAddOrUpdateRecord`, following section 6.5: entries are grouped by
 * their (require keys, fields keys) signature and groups run in sorted signature order, so new ids follow
 * group order while `recordIds` stays in request order.
 */
import { GristError } from '../backend/errors.js';
import type { CellValue, Fields, UpsertOptions, UpsertRecord, UpsertResult } from '../backend/types.js';
import { CellError, encodeCell, type StoredValue } from './cells.js';
import type { ColumnMeta, TableMeta } from './meta.js';
import { checkWriteColumns, convertEmptyFormulaColumns, encodeContextFor, insertRows, invalidColumnIn, updateRecords } from './records.js';
import { quoteIdent } from './schema.js';
import type { Store } from './store.js';

const ONMANY = ['first', 'none', 'all'] as const;

interface Entry {
  index: number;
  require: Fields;
  fields: Fields;
}

/** Grist's text for an upsert problem raised in its data engine. */
function sandboxValueError(table: TableMeta, text: string): GristError {
  return new GristError(400, `Error manipulating data: [Sandbox] ValueError ${text}`, undefined, { kind: 'payload', table: table.tableId });
}

/** The match key of decoded values: numbers equal across int/float, lists never equal to scalars. */
function keyOf(values: readonly (CellValue | CellError)[]): string {
  return JSON.stringify(values.map((v) => (v instanceof CellError ? { error: v.name } : v)));
}

/** Rows of the table grouped by their decoded values in `cols` (`id` allowed), ids ascending. */
function indexRows(store: Store, table: TableMeta, colIds: readonly string[]): Map<string, number[]> {
  const cols = colIds.map((c) => (c === 'id' ? undefined : table.byId.get(c)));
  const selected = cols.filter((c): c is ColumnMeta => c !== undefined);
  const sql = `SELECT id${selected.map((c) => `, ${quoteIdent(c.colId)}`).join('')} FROM ${quoteIdent(table.tableId)} ORDER BY id`;
  const rows = store.db.prepare(sql).raw(true).all() as StoredValue[][];
  const index = new Map<string, number[]>();
  for (const raw of rows) {
    const id = Number(raw[0]);
    let s = 1;
    const values = cols.map((c) => (c === undefined ? id : c.decode(raw[s++] ?? null)));
    const key = keyOf(values);
    const list = index.get(key);
    if (list) { list.push(id); } else { index.set(key, [id]); }
  }
  return index;
}

/** Upserts `records`; see section 6.5 for every rule. */
export function upsertRecords(
  store: Store, tableIdOrRef: string, records: readonly UpsertRecord[], options: UpsertOptions = {},
): UpsertResult {
  let table = store.userTable(tableIdOrRef);
  const onmany = options.onmany ?? 'first';
  if (!(ONMANY as readonly string[]).includes(onmany)) {
    throw new GristError(400, `onmany parameter ${String(onmany)} should be one of first,none,all`, undefined,
      { kind: 'payload', table: table.tableId });
  }
  const entries: Entry[] = records.map((r, index) => ({ index, require: r.require, fields: r.fields ?? {} }));
  for (const e of entries) {
    const bad = invalidColumnIn(table, [...Object.keys(e.require).filter((k) => k !== 'id'), ...Object.keys(e.fields)]);
    if (bad) { throw bad; }
    checkWriteColumns(table, Object.keys(e.fields));
  }
  for (const e of entries) {
    if (Object.keys(e.require).length === 0 && !options.allowEmptyRequire) {
      throw sandboxValueError(table, "require is empty but allow_empty_require isn't set");
    }
  }
  const groups = new Map<string, Entry[]>();
  for (const e of entries) {
    const sig = `${Object.keys(e.require).sort().join(',')}:${Object.keys(e.fields).sort().join(',')}`;
    const g = groups.get(sig);
    if (g) { g.push(e); } else { groups.set(sig, [e]); }
  }
  const result: UpsertResult = { recordIds: entries.map(() => []), addRecordIds: [], updateRecordIds: [] };
  for (const sig of [...groups.keys()].sort()) {
    const group = groups.get(sig) as Entry[];
    const first = group[0] as Entry;
    const requireKeys = Object.keys(first.require).sort();
    const fieldKeys = Object.keys(first.fields);
    const writeNames = [...new Set([...requireKeys.filter((k) => k !== 'id'), ...fieldKeys])];
    table = convertEmptyFormulaColumns(store, table, writeNames,
      (colId) => group.map((e) => e.fields[colId] ?? e.require[colId]).filter((v): v is CellValue => v !== undefined));
    // Require values are compared after the same parsing a write applies.
    const requireCols = requireKeys.map((k) => (k === 'id' ? undefined : table.byId.get(k)));
    const ctxs = requireCols.map((c) => (c ? encodeContextFor(store, c, options.noparse) : undefined));
    const keys = group.map((e) => keyOf(requireKeys.map((k, i) => {
      const c = requireCols[i];
      const v = e.require[k] ?? null;
      return c ? c.decode(encodeCell(c.colType, v, ctxs[i])) : v;
    })));
    if (new Set(keys).size !== keys.length) { throw sandboxValueError(table, 'require values must be unique'); }
    const index = indexRows(store, table, requireKeys);
    const updates: { id: number; fields: Fields }[] = [];
    const adds: Entry[] = [];
    group.forEach((e, gi) => {
      const matched = index.get(keys[gi] as string) ?? [];
      if (matched.length > 0) {
        if (options.noupdate) { return; }
        const picked = onmany === 'all' ? matched : onmany === 'first' ? matched.slice(0, 1) : [];
        if (picked.length === 0) { return; }
        for (const id of picked) { updates.push({ id, fields: e.fields }); }
        result.updateRecordIds.push(picked);
        result.recordIds[e.index] = picked;
      } else if (!options.noadd) {
        adds.push(e);
      }
    });
    if (updates.length && fieldKeys.length) { updateRecords(store, table.tableId, updates, { noparse: options.noparse }); }
    if (adds.length) {
      table = store.userTable(table.tableId);
      const ids = insertRows(store, table, {
        ids: adds.map((e) => (typeof e.require.id === 'number' ? e.require.id : undefined)),
        names: writeNames,
        noparse: options.noparse,
        valueOf: (i, colId) => {
          const e = adds[i] as Entry;
          return colId in e.fields ? e.fields[colId] : e.require[colId];
        },
      });
      adds.forEach((e, i) => { result.recordIds[e.index] = [ids[i] as number]; });
      for (const id of ids) { result.addRecordIds.push(id); }
    }
  }
  return result;
}
