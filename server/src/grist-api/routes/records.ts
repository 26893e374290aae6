/**
 * Record routes: `GET/POST/PATCH/PUT /tables/{t}/records`, `POST /records/list`, `POST /records/delete`,
 * and the column-oriented `/data` endpoints (grist-api.md sections 4 and 6).
 */
import type { CellValue, GetRecordsOptions, GristRecord } from '../../backend/types.js';
import type { DocRequest, DocRoute } from '../context.js';
import { jsonBody, tableParam } from '../context.js';
import { boolFlag, checkCellFormat, parseReadQuery, parseUpsertQuery, type CellFormat } from '../query.js';
import { typedRecords } from '../typed.js';
import {
  checkDeleteIds,
  checkFlatRecordsPost,
  checkRecordsList,
  checkRecordsPatch,
  checkRecordsPost,
  checkRecordsPut,
} from '../validate.js';

/** Reads records and answers `{records}` in the requested cell format. */
async function readRecords(r: DocRequest, tableId: string, options: GetRecordsOptions, cellFormat: CellFormat): Promise<unknown> {
  const records: GristRecord[] = await r.doc.getRecords(tableId, options);
  if (cellFormat === 'normal') return { records };
  const columns = tableId.startsWith('_grist_') ? [] : await r.doc.listColumns(tableId, { hidden: true });
  return { records: typedRecords(records, columns) };
}

/** `POST /data`: a column list becomes rows; a non-list is read as a sequence, as Python would. */
function asSequence(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return Array.from(value);
  return [value];
}

/** Turns `{colId: [values...]}` into records; the row count is the length of the first column. */
function columnsToRecords(body: unknown, withIds: boolean): { id?: number; fields: Record<string, CellValue> }[] {
  const entries = Object.entries(body !== null && typeof body === 'object' ? body : {}).map(
    ([colId, values]) => [colId, asSequence(values)] as const,
  );
  const idColumn = withIds ? entries.find(([colId]) => colId === 'id')?.[1] : undefined;
  const dataColumns = entries.filter(([colId]) => !(withIds && colId === 'id'));
  const count = withIds ? (idColumn?.length ?? 0) : (entries[0]?.[1].length ?? 0);
  const rows: { id?: number; fields: Record<string, CellValue> }[] = [];
  for (let i = 0; i < count; i++) {
    const fields: Record<string, CellValue> = {};
    for (const [colId, values] of dataColumns) {
      // A shorter list leaves the column's default for the missing entries (02 add-column-oriented-uneven).
      if (i < values.length) fields[colId] = values[i] as CellValue;
    }
    const row: { id?: number; fields: Record<string, CellValue> } = { fields };
    if (idColumn) row.id = idColumn[i] as number;
    rows.push(row);
  }
  return rows;
}

/** The record routes. */
export const recordRoutes: DocRoute[] = [
  {
    method: 'GET',
    path: '/tables/:tableId/records',
    handler: async (r) => {
      const { options, cellFormat } = parseReadQuery(r.query);
      return readRecords(r, tableParam(r), options, cellFormat);
    },
  },
  {
    method: 'POST',
    path: '/tables/:tableId/records/list',
    handler: async (r) => {
      const body = checkRecordsList(await jsonBody(r));
      const tableId = tableParam(r);
      const options: GetRecordsOptions = {};
      if (body.filter) options.filter = body.filter;
      if (body.sort && body.sort.length > 0) options.sort = body.sort;
      if (body.limit !== undefined) options.limit = body.limit;
      if (body.hidden) options.hidden = true;
      return readRecords(r, tableId, options, checkCellFormat(body.cellFormat));
    },
  },
  {
    method: 'POST',
    path: '/tables/:tableId/records',
    handler: async (r) => {
      const body = await jsonBody(r);
      const records = boolFlag(r.query, 'flat') ? checkFlatRecordsPost(body) : checkRecordsPost(body);
      const tableId = tableParam(r);
      const ids = await r.doc.addRecords(tableId, records, { noparse: boolFlag(r.query, 'noparse') });
      return { records: ids.map((id) => ({ id })) };
    },
  },
  {
    method: 'PATCH',
    path: '/tables/:tableId/records',
    handler: async (r) => {
      const records = checkRecordsPatch(await jsonBody(r));
      const tableId = tableParam(r);
      await r.doc.updateRecords(tableId, records, { noparse: boolFlag(r.query, 'noparse') });
      return null;
    },
  },
  {
    method: 'PUT',
    path: '/tables/:tableId/records',
    handler: async (r) => {
      const records = checkRecordsPut(await jsonBody(r));
      const options = parseUpsertQuery(r.query);
      const tableId = tableParam(r);
      return r.doc.upsertRecords(tableId, records, options);
    },
  },
  {
    method: 'POST',
    path: '/tables/:tableId/records/delete',
    handler: async (r) => {
      const body = await jsonBody(r);
      const tableId = tableParam(r);
      await r.doc.deleteRecords(tableId, checkDeleteIds(body));
      return null;
    },
  },
  {
    method: 'POST',
    path: '/tables/:tableId/data/delete',
    handler: async (r) => {
      const body = await jsonBody(r);
      const tableId = tableParam(r);
      await r.doc.deleteRecords(tableId, checkDeleteIds(body));
      return null;
    },
  },
  {
    method: 'GET',
    path: '/tables/:tableId/data',
    handler: async (r) => {
      const { options } = parseReadQuery(r.query);
      const tableId = tableParam(r);
      // `/data` always includes `id` and `manualSort` and leaves error cells inline (section 4.6).
      const rows = await r.doc.getRecordsRaw(tableId, { ...options, hidden: true });
      const out: Record<string, CellValue[]> = { id: rows.map((row) => row.id) };
      const colIds = rows[0] ? Object.keys(rows[0].fields) : (await r.doc.listColumns(tableId, { hidden: true })).map((c) => c.id);
      for (const colId of colIds) out[colId] = rows.map((row) => row.fields[colId] ?? null);
      return out;
    },
  },
  {
    method: 'POST',
    path: '/tables/:tableId/data',
    handler: async (r) => {
      const body = await jsonBody(r);
      const tableId = tableParam(r);
      const records = columnsToRecords(body, false).map((row) => ({ fields: row.fields }));
      return r.doc.addRecords(tableId, records, { noparse: boolFlag(r.query, 'noparse'), missingAsDefault: true });
    },
  },
  {
    method: 'PATCH',
    path: '/tables/:tableId/data',
    handler: async (r) => {
      const body = await jsonBody(r);
      const tableId = tableParam(r);
      const records = columnsToRecords(body, true).map((row) => ({ id: row.id ?? 0, fields: row.fields }));
      await r.doc.updateRecords(tableId, records, { noparse: boolFlag(r.query, 'noparse') });
      return null;
    },
  },
];
