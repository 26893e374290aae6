/**
 * Query-parameter parsing of Grist's REST API, with Grist's statuses and texts
 * (grist-api.md sections 1.5, 4.1-4.4, 6.5).
 */
import type { CellValue, GetRecordsOptions, UpsertOptions } from '../backend/types.js';
import { GristError } from '../backend/errors.js';

/** Read access to a request's query string and headers (a Hono request satisfies it). */
export interface QuerySource {
  /** All values of a query parameter (empty when absent). */
  all(name: string): string[];
  /** A request header (case-insensitive), or undefined. */
  header(name: string): string | undefined;
}

/** Builds a {@link QuerySource} from a URL and headers. */
export function querySource(url: URL, headers: Headers): QuerySource {
  return {
    all: (name) => url.searchParams.getAll(name),
    header: (name) => headers.get(name) ?? undefined,
  };
}

/** Grist's boolean flag rule: `1`, `true`, `yes`, `on` (any case) are true; anything else is false. */
export function isTrueFlag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}

/** The value of a boolean query flag (first occurrence). */
export function boolFlag(q: QuerySource, name: string): boolean {
  return isTrueFlag(q.all(name)[0]);
}

/** The two record formats of `cellFormat`. */
export type CellFormat = 'normal' | 'typed';

/** Validates a `cellFormat` value (400 `cellFormat parameter X should be one of normal,typed`). */
export function checkCellFormat(value: unknown): CellFormat {
  if (value === undefined || value === 'normal') return 'normal';
  if (value === 'typed') return 'typed';
  throw new GristError(400, `cellFormat parameter ${String(value)} should be one of normal,typed`);
}

/**
 * Parses the `filter` parameter. Invalid JSON is a 500 with the `JSON.parse` message (as Grist); a
 * value that is not a list is 400 `Invalid query: filter values must be arrays`. Like Grist, which
 * iterates `Object.values`, a JSON array is read as an object with keys `0`, `1`...
 */
export function parseFilter(text: string): Record<string, CellValue[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new GristError(500, (err as Error).message);
  }
  if (parsed === null) throw new GristError(500, 'Cannot convert undefined or null to object');
  const entries = Object.entries(Object(parsed) as Record<string, unknown>);
  for (const [, values] of entries) {
    if (!Array.isArray(values)) throw new GristError(400, 'Invalid query: filter values must be arrays');
  }
  return Object.fromEntries(entries) as Record<string, CellValue[]>;
}

/**
 * Parses a `limit` value the way Grist does (`parseInt` of the leading digits: `2.9` is 2);
 * non-numbers are 500 `limit is not a number`.
 */
export function parseLimit(text: string): number {
  const n = Number.parseInt(text, 10);
  if (Number.isNaN(n)) throw new GristError(500, 'limit is not a number');
  return n;
}

/** What a records read needs from the query: the engine options plus the output format. */
export interface ReadQuery {
  options: GetRecordsOptions;
  cellFormat: CellFormat;
}

/**
 * The read parameters of `GET /records`, `GET /data` and `GET /attachments`: `filter`, `sort`
 * (query wins over `X-Sort`), `limit` (query wins over `X-Limit`), `hidden`, `cellFormat`.
 */
export function parseReadQuery(q: QuerySource): ReadQuery {
  const options: GetRecordsOptions = {};
  const sorts = q.all('sort');
  if (sorts.length > 1) throw new GristError(400, `sort parameter should be a string: ${sorts.join(',')}`);
  const sort = sorts[0] ?? q.header('x-sort');
  if (sort !== undefined && sort !== '') options.sort = sort;
  const filter = q.all('filter')[0];
  if (filter !== undefined) options.filter = parseFilter(filter);
  const limit = q.all('limit')[0] ?? q.header('x-limit');
  if (limit !== undefined && limit !== '') options.limit = parseLimit(limit);
  if (boolFlag(q, 'hidden')) options.hidden = true;
  const cellFormat = checkCellFormat(q.all('cellFormat')[0]);
  return { options, cellFormat };
}

/** `onmany` of `PUT /records` (400 `onmany parameter X should be one of first,none,all`). */
export function parseOnMany(value: string | undefined): 'first' | 'none' | 'all' {
  if (value === undefined || value === 'first') return 'first';
  if (value === 'none' || value === 'all') return value;
  throw new GristError(400, `onmany parameter ${value} should be one of first,none,all`);
}

/** The query options of `PUT /records`. */
export function parseUpsertQuery(q: QuerySource): UpsertOptions {
  return {
    onmany: parseOnMany(q.all('onmany')[0]),
    noadd: boolFlag(q, 'noadd'),
    noupdate: boolFlag(q, 'noupdate'),
    allowEmptyRequire: boolFlag(q, 'allow_empty_require'),
    noparse: boolFlag(q, 'noparse'),
  };
}
