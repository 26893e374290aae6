/**
 * Record reads over Grist's REST API, including keyset paging, which Grist lacks.
 *
 * Where the document allows `POST /sql` (see `capabilities.ts`), a page (`afterId`, or a sorted page after
 * a position) is one statement: filter, keyset position, Grist's order and limit in SQL
 * (`sql-pages.ts`), its rows decoded into the records shape from cached column types (`sql-cells.ts`),
 * exactly as `GET /records` would encode them. That is one request per page (O(page) on Grist's side in
 * id order).
 * A sorted page has to scan the table (Grist indexes no sort column), so where Grist's action history
 * gives the document a version, the positions of the next ten pages are read at once and each page's rows
 * are then read by id, used only while the version is unchanged (`read-ahead.ts`).
 *
 * Where `/sql` is refused (an access rule hides something from the API key's user: Grist then refuses
 * `/sql` with 403), or where SQL cannot reproduce Grist's answer exactly (a sort flag, text outside
 * printable ASCII in a sort column, ...), pages come from `GET /records`: an id page of an unfiltered
 * table first tries the next `limit` ids (one request when ids are dense), else the table (filtered by
 * Grist) is read and the page cut out here. Sorted pages then return undefined and the router reads the
 * sorted table once per page (bounded by the table; documented in the README).
 */
import { GristError } from '../../backend/errors.js';
import type { CellValue, GetRecordsOptions, GristRecord, SortedPage, SortPosition } from '../../backend/types.js';
import { parseSort } from '../../engine/sort.js';
import { isAccessRefusal, isMissingRoute, type DocCapabilities } from './capabilities.js';
import { seg, type GristClient } from './client.js';
import type { ColumnTypes } from './column-types.js';
import { ReadAhead } from './read-ahead.js';
import { isObject, listAt, malformed } from './shapes.js';
import { OTHER_COLUMNS, rowDecoder, UndecodableCell } from './sql-cells.js';
import { buildPageSql, rowsByIdSql, textFactsSql, type PageQuery, type TextFacts, type VersionGate } from './sql-pages.js';

/**
 * The document's version for {@link VersionGate}: its latest action, as number and hash prefix (64 bits;
 * short because it is repeated in every row of a statement). Grist writes a change's data and its action
 * history entry in one SQLite transaction, and a statement reads one snapshot, so a page statement sees
 * the version of exactly the data it reads.
 */
const VERSION_SQL = `SELECT "id" || ':' || substr("actionHash", 1, 16) FROM "_gristsys_ActionHistory" ORDER BY "id" DESC LIMIT 1`;

/** How long sorted pages do without read-ahead after the document changed under one (it is being written). */
const READ_AHEAD_PAUSE_MS = 10_000;

/** Checks remembered as passed (per document); beyond this many the memory starts afresh. */
const MAX_VERIFIED_CHECKS = 256;

/** Rows per page of `iterateRecords`. */
export const PAGE_SIZE = 5000;

/** How long a sort found inexact in SQL goes straight to `GET /records`. */
const UNSAFE_SORT_MEMORY_MS = 60_000;

/** Above this many characters of filter JSON the read goes through `POST /records/list` (URL limits). */
const MAX_FILTER_IN_URL = 2000;

/** Ids per guessed dense page through `GET` (URL length; servers cap headers at 16 KB). */
const IDS_PER_URL = 800;

/** Reads records of one table. */
export class RecordReader {
  /** Facts of text sort columns (punctuation, case), per table (see `sql-pages.ts`); undefined = not sortable in SQL. */
  readonly #textFacts = new Map<string, Map<string, TextFacts | undefined>>();
  /** Sorts found not to be exact in SQL (alt text in a number column...), with when, per table + sort. */
  readonly #unsafeSorts = new Map<string, number>();
  /** Whether `/sql` can read the document's version (Grist's action history); undefined = not yet known. */
  #versioned: boolean | undefined;
  /** Value checks (SQL) that passed, with the document version they passed at. */
  readonly #verified = new Map<string, string>();
  /** Positions of the next sorted pages, revalidated by the document version (`read-ahead.ts`). */
  readonly #readAhead = new ReadAhead();
  /** Read-ahead is not possible on this server. */
  #readAheadOff = false;
  /** Read-ahead found the document changed: plain sorted pages until then. */
  #readAheadPausedUntil = 0;

  constructor(
    private readonly client: GristClient,
    private readonly caps: DocCapabilities,
    private readonly columns: ColumnTypes,
  ) {}

  /** `GET /records` (or `POST /records/list` for big filters); `afterId` pages as described above. */
  async get(tableId: string, options: GetRecordsOptions = {}): Promise<GristRecord[]> {
    if (options.afterId === undefined) return this.#plain(tableId, options);
    const limit = options.limit ?? 0;
    if (limit >= 0 && options.sort === undefined) {
      const page = await this.#sqlPage(
        { table: tableId, filter: options.filter, after: { id: options.afterId }, limit: limit > 0 ? limit : -1 },
        options.hidden === true,
      );
      if (page) return page.records;
    }
    return this.#afterIdWithoutSql(tableId, options);
  }

  /**
   * One page in a sort order, strictly after `after`, through `/sql`; undefined when this document or
   * query cannot be paged that way (the caller then sorts the whole read).
   */
  async sortedPage(
    tableId: string,
    query: { filter?: Record<string, CellValue[]> | undefined; sort: string; after?: SortPosition | undefined; limit: number },
  ): Promise<SortedPage | undefined> {
    if (!this.caps.has('sql')) return undefined;
    const fetch = this.#readAhead.fetchLimit(query.limit);
    const plain = fetch === undefined || this.#readAheadOff || Date.now() < this.#readAheadPausedUntil;
    if (plain || !(await this.#hasVersion())) return this.#sqlPage({ table: tableId, ...query }, false);
    const walk = { table: tableId, filter: query.filter, sort: query.sort };
    let ahead = query.after ? this.#readAhead.find(walk, query.after, query.limit) : undefined;
    if (!ahead) {
      // The positions of the next pages, in one narrow sorted statement (see `read-ahead.ts`).
      const keys = parseSort(query.sort).map((k) => String(k.col));
      const select = [...new Set(['id', 'manualSort', ...keys])];
      const read = await this.#sqlPage({ table: tableId, ...query, limit: fetch, select }, true);
      if (!read || read.version === undefined) return this.#sqlPage({ table: tableId, ...query }, false);
      this.#readAhead.keep(walk, read.version, read.positions, read.positions.length < fetch);
      ahead = { version: read.version, positions: read.positions.slice(0, query.limit) };
    }
    // The last page of a walk has no rows to carry the version check: read it afresh.
    const page = ahead.positions.length > 0 ? await this.#rowsAt(tableId, ahead.positions, ahead.version) : undefined;
    if (page) return page;
    this.#readAhead.forget(tableId);
    // The document is being written to: positions would go stale again, so read plain pages for a while.
    if (ahead.positions.length > 0) this.#readAheadPausedUntil = Date.now() + READ_AHEAD_PAUSE_MS;
    return this.#sqlPage({ table: tableId, ...query }, false);
  }

  /**
   * The rows at these positions, in their order, read by id; undefined unless the document is still at
   * `version` (then these are exactly the rows a sorted statement would give) and every row is there.
   */
  async #rowsAt(table: string, positions: SortPosition[], version: string): Promise<SortedPage | undefined> {
    const columns = await this.columns.get(table);
    const { sql, args } = rowsByIdSql(table, positions.map((p) => p.id), VERSION_SQL, version);
    const rows = await this.#runSql(table, sql, args);
    if (rows === undefined) {
      // This server cannot run the statement (no json_each, say): plain pages from now on.
      this.#readAheadOff = true;
      return undefined;
    }
    if (rows.length !== positions.length) return undefined;
    const decode = rowDecoder(columns, false);
    const byId = new Map<number, GristRecord>();
    try {
      for (const row of rows) {
        if (row['__gg_same'] !== 1) return undefined;
        delete row['__gg_same'];
        const record = decode(row);
        if (record === OTHER_COLUMNS) {
          this.columns.invalidate(table);
          return undefined;
        }
        byId.set(record.id, record);
      }
    } catch (err) {
      if (err instanceof UndecodableCell) return undefined;
      throw err;
    }
    const records: GristRecord[] = [];
    for (const p of positions) {
      const record = byId.get(p.id);
      if (!record) return undefined;
      records.push(record);
    }
    return { records, positions };
  }

  /**
   * Pages through the table, never holding more than one page when `/sql` is available; otherwise the
   * table is read once (one request) and handed out in pages.
   */
  async *iterate(tableId: string, options: GetRecordsOptions = {}, pageSize = PAGE_SIZE): AsyncGenerator<GristRecord[]> {
    const limit = options.limit ?? 0;
    let remaining = limit > 0 ? limit : Number.POSITIVE_INFINITY;
    const sort = sortParam(options.sort);
    let after: SortPosition | undefined = sort === undefined ? { id: options.afterId ?? 0 } : undefined;
    const viaSql = limit >= 0 && (sort === undefined || options.afterId === undefined);
    while (viaSql && remaining > 0) {
      const step = Math.min(pageSize, remaining);
      const page = await this.#sqlPage({ table: tableId, filter: options.filter, sort, after, limit: step }, options.hidden === true);
      if (!page) break; // not possible here (any more): finish from the whole read below
      if (page.records.length > 0) yield page.records;
      remaining -= page.records.length;
      const lastRecord = page.records.at(-1);
      const last = sort === undefined ? lastRecord && { id: lastRecord.id } : page.positions.at(-1);
      if (page.records.length < step || !last) return;
      after = last;
    }
    if (remaining <= 0) return;
    let rows = await this.get(tableId, { ...options, afterId: undefined, limit: sort === undefined && limit > 0 ? undefined : options.limit });
    if (sort === undefined) {
      const from = after?.id ?? options.afterId;
      if (from !== undefined) rows = rows.filter((r) => r.id > from);
    } else if (after) {
      const index = rows.findIndex((r) => r.id === after?.id);
      rows = rows.slice(index + 1);
    }
    if (rows.length > remaining) rows = rows.slice(0, remaining);
    for (let i = 0; i < rows.length; i += pageSize) yield rows.slice(i, i + pageSize);
  }

  /** Tells the reader a table's schema changed (drops cached column types). */
  schemaChanged(tableId?: string): void {
    this.columns.invalidate(tableId);
    this.#readAhead.forget(tableId);
    if (tableId === undefined) this.#textFacts.clear();
    else this.#textFacts.delete(tableId);
  }

  /**
   * One page through `/sql`, or undefined when not possible (see the module comment). Positions are given
   * for sorted pages only: in id order a record's position is its id.
   */
  async #sqlPage(query: PageQuery, hidden: boolean, retried = false): Promise<(SortedPage & { version?: string }) | undefined> {
    if (!this.caps.has('sql')) return undefined;
    const sortKey = `${query.table}\u0000${sortParam(query.sort) ?? ''}`;
    const unsafeSince = this.#unsafeSorts.get(sortKey);
    if (unsafeSince !== undefined && Date.now() - unsafeSince < UNSAFE_SORT_MEMORY_MS) return undefined;
    const columns = await this.columns.get(query.table);
    const facts = this.#textFacts.get(query.table) ?? new Map<string, TextFacts | undefined>();
    const keys = query.sort === undefined ? [] : parseSort(query.sort);
    if (keys.length > 0 && [...facts.values()].some((v) => v === undefined)) {
      const bad = [...facts.entries()].filter(([, v]) => v === undefined).map(([k]) => k);
      if (keys.some((k) => bad.includes(String(k.col)))) return undefined;
    }
    const gate: VersionGate | undefined =
      keys.length > 0 && (await this.#hasVersion()) ? { expr: VERSION_SQL, verified: (check) => this.#verified.get(check) } : undefined;
    const built = buildPageSql(query, columns, facts as Map<string, TextFacts>, gate);
    if (!built) return undefined;
    const rows = await this.#runSql(query.table, built.sql, built.args);
    if (rows === undefined) return undefined;
    let version: string | undefined;
    if (built.guard !== undefined) {
      const first = rows[0] ?? (await this.#runSql(query.table, built.guard, built.guardArgs ?? []))?.[0];
      if (first?.['__gg_unsafe'] !== 0) {
        // Unmapped punctuation or upper case in a text sort column can be learned once; anything else falls back.
        if (!retried && built.textColumns.length > 0 && (await this.#learnTextFacts(query.table, built.textColumns))) {
          return this.#sqlPage(query, hidden, true);
        }
        this.#unsafeSorts.set(sortKey, Date.now());
        return undefined;
      }
      const seen = first['__gg_version'];
      if (typeof seen === 'string') version = seen;
      if (built.check !== undefined && version !== undefined) {
        if (this.#verified.size >= MAX_VERIFIED_CHECKS) this.#verified.clear();
        this.#verified.set(built.check, version);
      }
      if (rows.length === 0) return { records: [], positions: [], ...(version !== undefined ? { version } : {}) };
      for (const row of rows) {
        delete row['__gg_unsafe'];
        delete row['__gg_version'];
      }
    }
    const selected = query.select === undefined ? undefined : new Set(query.select);
    const decode = rowDecoder(selected === undefined ? columns : columns.filter((c) => selected.has(c.id)), hidden);
    const records: GristRecord[] = [];
    const positions: SortPosition[] = [];
    try {
      for (const row of rows) {
        const record = decode(row);
        if (record === OTHER_COLUMNS) {
          // Someone changed the table's columns: reload the types once, then decode.
          this.columns.invalidate(query.table);
          return retried ? undefined : this.#sqlPage(query, hidden, true);
        }
        records.push(record);
        if (keys.length === 0) continue;
        const manualSort = row['manualSort'];
        positions.push({
          id: record.id,
          values: keys.map((k): CellValue => {
            if (k.col === 'id') return record.id;
            if (k.col === 'manualSort') return typeof manualSort === 'number' ? manualSort : null;
            return record.fields[String(k.col)] ?? null;
          }),
          manualSort: typeof manualSort === 'number' ? manualSort : null,
        });
      }
    } catch (err) {
      if (err instanceof UndecodableCell) return undefined;
      throw err;
    }
    return version !== undefined ? { records, positions, version } : { records, positions };
  }

  /**
   * Runs a statement; undefined when `/sql` is refused (remembered) or fails in a way the records endpoints
   * would not (the caller falls back). An unknown table is a 404, as the records endpoints say it.
   */
  async #runSql(table: string, sql: string, args: unknown[]): Promise<Record<string, unknown>[] | undefined> {
    let answer: unknown;
    try {
      answer = await this.client.json({ method: 'POST', path: '/sql', jsonText: JSON.stringify({ sql, args }) });
    } catch (err) {
      if (isAccessRefusal(err)) {
        this.caps.lacks('sql', (err as GristError).message);
        return undefined;
      }
      if (err instanceof GristError && err.status === 400) {
        this.columns.invalidate(table);
        if (/no such table/i.test(err.message)) {
          throw new GristError(404, `Table not found "${table}"`, undefined, { kind: 'table', table });
        }
        // A column renamed meanwhile, a statement over Grist's time limit: the records endpoints still answer.
        return undefined;
      }
      throw err;
    }
    return listAt(answer, 'records', 'POST /sql').map((row) => {
      if (!isObject(row) || !isObject(row['fields'])) throw malformed('POST /sql', 'records with fields');
      return row['fields'];
    });
  }

  /** Whether this document's version can be read through `/sql` (asked once per document). */
  async #hasVersion(): Promise<boolean> {
    if (this.#versioned !== undefined) return this.#versioned;
    try {
      const answer = await this.client.json({ method: 'POST', path: '/sql', jsonText: JSON.stringify({ sql: `SELECT (${VERSION_SQL}) AS "v"`, args: [] }) });
      const row = listAt(answer, 'records', 'POST /sql')[0];
      this.#versioned = isObject(row) && isObject(row['fields']) && typeof row['fields']['v'] === 'string';
    } catch (err) {
      // No such table (not Grist, or a Grist without it): never. Refused or failing now: ask again later.
      if (err instanceof GristError && err.status === 400) this.#versioned = false;
      else if (!(err instanceof GristError)) throw err;
      return false;
    }
    return this.#versioned;
  }

  /** Finds which punctuation and case occur in text sort columns; false when one is not printable ASCII text. */
  async #learnTextFacts(table: string, textColumns: string[]): Promise<boolean> {
    const { sql, read } = textFactsSql(table, textColumns);
    const row = (await this.#runSql(table, sql, []))?.[0];
    if (!row) return false;
    const learned = read(row);
    const known = this.#textFacts.get(table) ?? new Map<string, TextFacts | undefined>();
    for (const [col, facts] of learned) known.set(col, facts);
    this.#textFacts.set(table, known);
    return [...learned.values()].every((v) => v !== undefined);
  }

  /** An `afterId` page without `/sql`: a guessed dense id range, else the table read once and cut here. */
  async #afterIdWithoutSql(tableId: string, options: GetRecordsOptions): Promise<GristRecord[]> {
    const after = options.afterId ?? 0;
    const limit = options.limit ?? 0;
    const { afterId: _afterId, limit: _limit, ...rest } = options;
    const filtered = options.filter !== undefined && Object.keys(options.filter).length > 0;
    if (!filtered && limit > 0 && options.sort === undefined && (limit <= IDS_PER_URL || this.caps.has('recordsList'))) {
      const ids = Array.from({ length: limit }, (_, i) => after + 1 + i);
      try {
        const page = await this.#plain(tableId, { ...rest, filter: { id: ids } });
        if (page.length === limit) return page;
      } catch {
        // A guess only (e.g. a URL too long for an old server): the whole read below answers properly.
      }
    }
    let rows = (await this.#plain(tableId, rest)).filter((r) => r.id > after);
    if (options.sort === undefined) rows.sort((a, b) => a.id - b.id);
    if (limit > 0) rows = rows.slice(0, limit);
    else if (limit < 0) rows = rows.slice(0, Math.max(0, rows.length + limit));
    return rows;
  }

  async #plain(tableId: string, options: GetRecordsOptions): Promise<GristRecord[]> {
    const filterJson = options.filter === undefined ? undefined : JSON.stringify(options.filter);
    if (this.caps.has('recordsList') && filterJson !== undefined && filterJson.length > MAX_FILTER_IN_URL) {
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
    return recordList(answer, `GET /tables/${tableId}/records`);
  }

  /**
   * `POST /records/list`: the same read with its parameters in a JSON body (no URL length limit).
   * Undefined when this Grist has no such route (before 1.7.14); the document then uses `GET`.
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
      if (isMissingRoute(err)) {
        this.caps.lacks('recordsList', (err as GristError).message);
        return undefined;
      }
      throw err;
    }
    return recordList(answer, `POST ${path}`);
  }
}

/** `{records: [{id, fields}]}`, checked entry by entry (a wrong shape is Grist's malfunction: 502). */
function recordList(answer: unknown, what: string): GristRecord[] {
  const list = listAt(answer, 'records', what);
  for (const r of list) {
    if (!isObject(r) || typeof r['id'] !== 'number' || !isObject(r['fields'])) throw malformed(what, 'records with a numeric id and fields');
  }
  return list as GristRecord[];
}

/** Grist's `sort` parameter: comma-separated keys. */
export function sortParam(sort: string | string[] | undefined): string | undefined {
  if (sort === undefined) return undefined;
  const joined = Array.isArray(sort) ? sort.join(',') : sort;
  return joined === '' ? undefined : joined;
}
