/**
 * Record methods: get_records (with keyset paging), add_records, update_records, delete_records,
 * add_or_update_records.
 */
import { methods, type MethodOutput } from '@grist-gateway/shared';
import { GristError } from '../backend/errors.js';
import type { CellValue, DocBackend, Fields, GristRecord } from '../backend/types.js';
import { decodeCursor, encodeCursor, queryKey } from '../paging/cursor.js';
import { pageSorted } from '../paging/sorted.js';
import { dataMethod } from '../trpc.js';
import { sameKeysInOrder } from '../util/same-keys.js';
import { backendOf, checkBatchSize } from './util.js';

/** A record as the gateway returns it: `{id, ...fields}`, plus `_errors` when a cell holds an error. */
type FlatRecord = MethodOutput<'get_records'>['records'][number];

/** Flattens Grist's `{id, fields, errors?}` into the proxy's `{id, ...fields}` shape. */
function flatten(record: GristRecord): FlatRecord {
  const flat: Record<string, unknown> = { id: record.id, ...record.fields };
  if (record.errors && Object.keys(record.errors).length > 0) flat._errors = record.errors;
  return flat as FlatRecord;
}

/**
 * Wraps scalar filter values in lists. Grist requires a list of allowed values per column; the Python proxy
 * accepted scalars. A list is always a list of values: to match a ChoiceList cell, pass `[["L", "a"]]`.
 */
function normaliseFilter(filter: Record<string, CellValue | CellValue[]> | null | undefined): Record<string, CellValue[]> | undefined {
  if (!filter) return undefined;
  const out: Record<string, CellValue[]> = {};
  for (const [col, value] of Object.entries(filter)) out[col] = Array.isArray(value) ? (value as CellValue[]) : [value];
  return out;
}

/** Joins a list of sort keys into Grist's comma-separated form. */
function normaliseSort(sort: string | string[] | null | undefined): string | undefined {
  if (sort == null) return undefined;
  const joined = Array.isArray(sort) ? sort.join(',') : sort;
  return joined.trim() === '' ? undefined : joined;
}

/** Reads one page in id order using the backend's keyset support. */
async function pageById(
  backend: DocBackend,
  table: string,
  filter: Record<string, CellValue[]> | undefined,
  after: number,
  pageSize: number,
  q: string,
): Promise<{ records: GristRecord[]; next: string | null }> {
  const rows = await backend.getRecords(table, { filter, afterId: after, limit: pageSize + 1 });
  const more = rows.length > pageSize;
  const records = more ? rows.slice(0, pageSize) : rows;
  const last = records.at(-1);
  return { records, next: more && last ? encodeCursor({ v: 1, q, id: last.id }) : null };
}

/** Splits update records into runs with the same field names (Grist requires one key set per PATCH). */
function runsBySameKeys(records: readonly { id: number; fields: Fields }[]): { id: number; fields: Fields }[][] {
  if (records.length > 0 && sameKeysInOrder(records)) return [records as { id: number; fields: Fields }[]];
  const runs: { id: number; fields: Fields }[][] = [];
  let currentKey = '';
  for (const record of records) {
    const key = Object.keys(record.fields).sort().join('\u0000');
    const current = runs.at(-1);
    if (current && key === currentKey) current.push(record);
    else {
      runs.push([record]);
      currentKey = key;
    }
  }
  return runs;
}

/** The record procedures, keyed by wire name. */
export const recordsProcedures = {
  get_records: dataMethod(methods.get_records).query(async ({ ctx, input }) => {
    const backend = backendOf(ctx);
    const filter = normaliseFilter(input.filter);
    const sort = normaliseSort(input.sort);
    const paging = input.cursor !== undefined || input.limit !== undefined;
    if (!paging) {
      const rows = await backend.getRecords(input.table, { filter, sort });
      return { records: rows.map(flatten), next_cursor: null };
    }
    const pageSize = input.limit ?? ctx.services.limits.defaultPageSize;
    const q = queryKey(input.table, filter, sort);
    const state = input.cursor !== undefined ? decodeCursor(input.cursor, q) : undefined;
    const page = sort
      ? await pageSorted(backend, input.table, filter, sort, state, pageSize, q)
      : await pageById(backend, input.table, filter, state?.id ?? 0, pageSize, q);
    return { records: page.records.map(flatten), next_cursor: page.next };
  }),

  add_records: dataMethod(methods.add_records).mutation(async ({ ctx, input }) => {
    checkBatchSize(ctx, 'records', input.records.length);
    if (input.records.length === 0) return { record_ids: [] };
    const ids = await backendOf(ctx).addRecords(
      input.table,
      input.records.map((fields) => ({ fields })),
    );
    return { record_ids: ids };
  }),

  update_records: dataMethod(methods.update_records).mutation(async ({ ctx, input }) => {
    checkBatchSize(ctx, 'records', input.records.length);
    const backend = backendOf(ctx);
    const runs = runsBySameKeys(input.records);
    const written: number[] = [];
    for (const run of runs) {
      try {
        await backend.updateRecords(input.table, run);
      } catch (err) {
        if (written.length > 0 && err instanceof GristError) {
          // Earlier runs are committed: say exactly which rows were updated before this one failed.
          throw new GristError(err.status, `${err.message} (rows updated before this failure: ${written.join(', ')})`, err.details, {
            ...err.extra,
            writtenIds: [...written],
          });
        }
        throw err;
      }
      for (const record of run) written.push(record.id);
    }
    return { updated: input.records.length };
  }),

  delete_records: dataMethod(methods.delete_records).mutation(async ({ ctx, input }) => {
    checkBatchSize(ctx, 'record_ids', input.record_ids.length);
    if (input.record_ids.length > 0) await backendOf(ctx).deleteRecords(input.table, input.record_ids);
    return { deleted: input.record_ids.length };
  }),

  add_or_update_records: dataMethod(methods.add_or_update_records).mutation(async ({ ctx, input }) => {
    checkBatchSize(ctx, 'records', input.records.length);
    if (input.records.length === 0) return { record_ids: [], added: [], updated: [] };
    const result = await backendOf(ctx).upsertRecords(
      input.table,
      input.records.map((r) => (r.fields ? { require: r.require, fields: r.fields } : { require: r.require })),
      {
        onmany: input.on_many,
        noadd: input.add === false,
        noupdate: input.update === false,
      },
    );
    const updated = [...new Set(result.updateRecordIds.flat())];
    return { record_ids: result.recordIds, added: result.addRecordIds, updated };
  }),
};

