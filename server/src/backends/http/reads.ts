/**
 * Record reads over Grist's REST API, including keyset paging (`afterId`), which Grist lacks.
 *
 * `afterId` is built from two requests per page: `POST /sql` finds the next ids
 * (`SELECT id FROM "T" WHERE id > ? ORDER BY id LIMIT ?`, cheap on SQLite's rowid), then
 * `POST /records/list` fetches exactly those rows, with the caller's filter merged in. With a filter a page
 * may therefore hold fewer rows than `limit` even though more matching rows follow: callers page on until
 * a page comes back empty, or use `iterateRecords`, which handles this.
 */
import { GristError } from '../../backend/errors.js';
import type { CellValue, GetRecordsOptions, GristRecord } from '../../backend/types.js';
import { seg, type GristClient } from './client.js';
import { isObject, listAt } from './shapes.js';

/** Rows per page of `iterateRecords`. */
export const PAGE_SIZE = 5000;

/** Ids per `records/list` request (about 30 KB of JSON). */
const IDS_PER_REQUEST = 5000;

/** Ids per `GET /records` when the filter must go in the URL (about 6 KB; servers cap headers at 16 KB). */
const IDS_PER_URL = 800;

/** Above this many characters of filter JSON the read goes through `POST /records/list` (URL limits). */
const MAX_FILTER_IN_URL = 2000;

/** Reads records of one table. */
export class RecordReader {
  /** Set once the server turned out to lack `POST /records/list`. */
  #noList = false;

  constructor(private readonly client: GristClient) {}

  /** `GET /records` (or `POST /records/list` for big filters); `afterId` as described above. */
  async get(tableId: string, options: GetRecordsOptions = {}): Promise<GristRecord[]> {
    if (options.afterId === undefined) return this.#plain(tableId, options);
    const limit = options.limit ?? 0;
    const ids = await this.idsAfter(tableId, options.afterId, limit > 0 ? limit : undefined);
    const records = await this.byIds(tableId, ids, options);
    return limit < 0 ? records.slice(0, Math.max(0, records.length + limit)) : records;
  }

  /**
   * Pages through the table in id order, `PAGE_SIZE` ids per step, never holding more than one page.
   * With `sort` (or a negative limit) the order is not id order, so the result is read whole and sliced.
   */
  async *iterate(tableId: string, options: GetRecordsOptions = {}, pageSize = PAGE_SIZE): AsyncGenerator<GristRecord[]> {
    const limit = options.limit ?? 0;
    if (options.sort !== undefined || limit < 0) {
      const all = await this.get(tableId, options);
      for (let i = 0; i < all.length; i += pageSize) yield all.slice(i, i + pageSize);
      return;
    }
    let after = options.afterId ?? 0;
    let remaining = limit > 0 ? limit : Number.POSITIVE_INFINITY;
    const filtered = options.filter !== undefined && Object.keys(options.filter).length > 0;
    // Row ids are usually dense. Without a filter, a page can then skip `/sql` and ask for the next
    // `step` ids directly; a page with a gap (or a filter) goes back to asking `/sql` for the ids.
    let dense = false;
    while (remaining > 0) {
      // Without a filter every id found is a row returned, so never scan past the limit.
      const step = filtered ? pageSize : Math.min(pageSize, remaining);
      let ids: number[];
      if (dense) {
        ids = Array.from({ length: step }, (_, i) => after + 1 + i);
      } else {
        ids = await this.idsAfter(tableId, after, step);
        if (ids.length === 0) return;
      }
      let records = await this.byIds(tableId, ids, options);
      const first = ids[0] ?? after;
      const last = ids[ids.length - 1] ?? after;
      // An /sql answer shorter than asked is the end of the table; a dense page that had a gap hands over
      // to /sql, which finds the next rows (or the end).
      const end = !dense && ids.length < step;
      dense = dense ? records.length === step : !filtered && ids.length === step && last - first + 1 === step;
      after = last;
      if (records.length > remaining) records = records.slice(0, remaining);
      remaining -= records.length;
      if (records.length > 0) yield records;
      if (end) return;
    }
  }

  /** Ids of the rows after `afterId`, ascending, at most `limit` (all when undefined). */
  async idsAfter(tableId: string, afterId: number, limit?: number): Promise<number[]> {
    const quoted = `"${tableId.replace(/"/g, '""')}"`;
    const sql = `SELECT id FROM ${quoted} WHERE id > ? ORDER BY id${limit === undefined ? '' : ' LIMIT ?'}`;
    const args: number[] = limit === undefined ? [afterId] : [afterId, limit];
    let answer: unknown;
    try {
      answer = await this.client.json({ method: 'POST', path: '/sql', jsonText: JSON.stringify({ sql, args }) });
    } catch (err) {
      // Report an unknown table as the records endpoint would, not as a SQL error.
      if (err instanceof GristError && err.status === 400 && /no such table/i.test(err.message)) {
        throw new GristError(404, `Table not found "${tableId}"`, undefined, { kind: 'table', table: tableId });
      }
      throw err;
    }
    return listAt(answer, 'records', 'POST /sql').map((row) => {
      const id = isObject(row) && isObject(row['fields']) ? row['fields']['id'] : undefined;
      if (typeof id !== 'number') throw new GristError(502, 'unexpected answer from Grist for POST /sql: a row without a numeric id');
      return id;
    });
  }

  /**
   * The rows with these ids (ascending) that also match the caller's filter, in batches of ids: 5000 per
   * `POST /records/list`, or 800 per `GET` (URL length) on a Grist without `records/list`.
   */
  async byIds(tableId: string, ids: number[], options: GetRecordsOptions): Promise<GristRecord[]> {
    const wanted = options.filter?.['id'];
    if (wanted) {
      const allowed = new Set(wanted);
      ids = ids.filter((id) => allowed.has(id));
    }
    const out: GristRecord[] = [];
    for (let i = 0; i < ids.length; ) {
      const size = this.#noList ? IDS_PER_URL : IDS_PER_REQUEST;
      const filter: Record<string, CellValue[]> = { ...options.filter, id: ids.slice(i, i + size) };
      const query = { filter, sort: options.sort, hidden: options.hidden };
      const page = this.#noList ? await this.#get(tableId, query) : await this.#list(tableId, query);
      if (page === undefined) continue; // records/list is missing: redo this batch in URL-sized pieces
      for (const record of page) out.push(record);
      i += size;
    }
    return out;
  }

  async #plain(tableId: string, options: GetRecordsOptions): Promise<GristRecord[]> {
    const filterJson = options.filter === undefined ? undefined : JSON.stringify(options.filter);
    if (!this.#noList && filterJson !== undefined && filterJson.length > MAX_FILTER_IN_URL) {
      const records = await this.#list(tableId, options);
      if (records !== undefined) return records;
    }
    return this.#get(tableId, options);
  }

  /** `GET /records` with the query in the URL. */
  async #get(tableId: string, options: GetRecordsOptions): Promise<GristRecord[]> {
    const answer = await this.client.json({
      method: 'GET',
      path: `/tables/${seg(tableId)}/records`,
      query: {
        filter: options.filter === undefined ? undefined : JSON.stringify(options.filter),
        sort: sortParam(options.sort),
        limit: options.limit ? String(options.limit) : undefined,
        hidden: options.hidden ? 'true' : undefined,
      },
    });
    return listAt(answer, 'records', `GET /tables/${tableId}/records`) as GristRecord[];
  }

  /**
   * `POST /records/list`: the same read with its parameters in a JSON body (no URL length limit).
   * Undefined when this Grist has no such route (older versions answer 404 `not found: ...`); the reader
   * then remembers to use `GET`.
   */
  async #list(tableId: string, options: GetRecordsOptions): Promise<GristRecord[] | undefined> {
    const body: Record<string, unknown> = {};
    if (options.filter !== undefined) body['filter'] = options.filter;
    const sort = sortParam(options.sort);
    if (sort !== undefined) body['sort'] = sort.split(',');
    if (options.limit) body['limit'] = options.limit;
    if (options.hidden) body['hidden'] = true;
    const path = `/tables/${seg(tableId)}/records/list`;
    let answer: unknown;
    try {
      answer = await this.client.json({ method: 'POST', path, jsonText: JSON.stringify(body) });
    } catch (err) {
      if (err instanceof GristError && err.status === 404 && err.message.startsWith('not found:')) {
        this.#noList = true;
        return undefined;
      }
      throw err;
    }
    return listAt(answer, 'records', `POST ${path}`) as GristRecord[];
  }
}

/** Grist's `sort` parameter: comma-separated keys. */
export function sortParam(sort: string | string[] | undefined): string | undefined {
  if (sort === undefined) return undefined;
  const joined = Array.isArray(sort) ? sort.join(',') : sort;
  return joined === '' ? undefined : joined;
}
