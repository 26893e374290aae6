/**
 * Payload validation of Grist's REST API bodies, with the `details.userError` texts Grist's validator
 * (ts-interface-checker over `DocApiTypes`) produces, e.g.
 * `Error: body.records[0] is not a NewRecord; body.records[0] is not an object`.
 *
 * Each checker returns the narrowed value or throws a 400 `Invalid payload` {@link GristError}. Only the
 * shapes are checked here; table/column existence and cell semantics are the engine's job. Unknown extra
 * keys are ignored, as Grist does.
 */
import { GristError } from '../backend/errors.js';
import type { CellValue, Fields } from '../backend/types.js';

/** The one-letter codes Grist accepts as the first element of a list cell value (`GristObjCode`). */
const GRIST_OBJ_CODES = new Set(['L', 'l', 'O', 'D', 'd', 'S', 'C', 'R', 'r', 'E', 'P', 'U', 'V']);

/** A validation failure: the chain of messages, outermost first (joined with `; ` like the checker). */
class Invalid {
  constructor(
    readonly chain: string[],
    /** How the checker joins this chain: `; `, or a new line for the members of an intersection type. */
    readonly separator = '; ',
  ) {}
}

/** Throws Grist's 400 `Invalid payload` for a failure chain. */
function payloadError(chain: string[], separator = '; '): GristError {
  return new GristError(400, 'Invalid payload', { userError: `Error: ${chain.join(separator)}` }, { kind: 'payload' });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** `path.key` for an object key, `path[i]` for a list index. */
function child(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;
}

/**
 * Why `value` is not a `CellValue` (number | string | boolean | null | [GristObjCode, ...unknown[]]), as
 * a message chain, or undefined when it is one.
 */
export function cellValueProblem(value: unknown, path: string): string[] | undefined {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
    return undefined;
  }
  const chain = [`${path} is not a CellValue`, `${path} is none of number, string, boolean, null, 1 more`];
  if (!Array.isArray(value)) return chain;
  const first: unknown = value[0];
  if (value.length === 0) return [...chain, `${child(path, 0)} is missing`];
  if (typeof first !== 'string' || !GRIST_OBJ_CODES.has(first)) {
    return [...chain, `${child(path, 0)} is not a GristObjCode`, `${child(path, 0)} is not a valid enum value`];
  }
  return undefined;
}

/**
 * Checks a `{colId: CellValue}` map. Like the checker, a JSON array passes as an object (its keys are
 * `"0"`, `"1"`...: the engine then reports `Invalid column "0"`).
 */
function checkFieldMap(value: unknown, path: string): Invalid | Fields {
  if (!isObject(value)) return new Invalid([`${path} is not an object`]);
  const out: Fields = {};
  for (const [key, cell] of Object.entries(value)) {
    const problem = cellValueProblem(cell, child(path, key));
    if (problem) return new Invalid(problem);
    out[key] = cell as CellValue;
  }
  return out;
}

/** Checks a non-empty list (`[T, ...T[]]`), each element with `check`. */
function checkNonEmptyList<T>(
  value: unknown,
  path: string,
  typeName: string,
  check: (item: unknown, path: string) => Invalid | T,
): Invalid | T[] {
  if (value === undefined) return new Invalid([`${path} is missing`]);
  if (!Array.isArray(value)) return new Invalid([`${path} is not an array`]);
  const items: unknown[] = value.length === 0 ? [undefined] : value;
  const out: T[] = [];
  for (let i = 0; i < items.length; i++) {
    const itemPath = child(path, i);
    const item = items[i];
    if (!isObject(item)) return new Invalid([`${itemPath} is not a ${typeName}`, `${itemPath} is not an object`]);
    const result = check(item, itemPath);
    if (result instanceof Invalid) return new Invalid([`${itemPath} is not a ${typeName}`, ...result.chain], result.separator);
    out.push(result);
  }
  return out;
}

/** Unwraps a check result or throws the payload error. */
function unwrap<T>(result: Invalid | T): T {
  if (result instanceof Invalid) throw payloadError(result.chain, result.separator);
  return result;
}

/** The body as an object, or an empty one (a missing key is then reported by the caller's checks). */
function bodyObject(body: unknown): Record<string, unknown> {
  // A top-level JSON array has no `records` key either: `body.records is missing` (08 shape-body-array).
  return isObject(body) && !Array.isArray(body) ? body : {};
}

/** `NewRecord`: `{fields?: {colId: CellValue}}`. */
function newRecord(item: unknown, path: string): Invalid | { fields?: Fields } {
  const rec = item as Record<string, unknown>;
  if (rec['fields'] === undefined) return {};
  const fields = checkFieldMap(rec['fields'], child(path, 'fields'));
  return fields instanceof Invalid ? fields : { fields };
}

/** `Record`: `{id: number, fields: {...}}`. */
function patchRecord(item: unknown, path: string): Invalid | { id: number; fields: Fields } {
  const rec = item as Record<string, unknown>;
  const id = rec['id'];
  if (id === undefined) return new Invalid([`${child(path, 'id')} is missing`]);
  if (typeof id !== 'number') return new Invalid([`${child(path, 'id')} is not a number`]);
  if (rec['fields'] === undefined) return new Invalid([`${child(path, 'fields')} is missing`]);
  const fields = checkFieldMap(rec['fields'], child(path, 'fields'));
  return fields instanceof Invalid ? fields : { id, fields };
}

/** `AddOrUpdateRecord`: `{require: {colId: CellValue} & {id?: number}, fields?: {...}}`. */
function upsertRecord(item: unknown, path: string): Invalid | { require: Fields; fields?: Fields } {
  const rec = item as Record<string, unknown>;
  const requirePath = child(path, 'require');
  const require = rec['require'];
  if (require === undefined) return new Invalid([`${requirePath} is missing`]);
  if (!isObject(require)) {
    // `require` is an intersection type: the checker lists the failure of each member on its own line.
    return new Invalid([`${requirePath} is not an object`, `${requirePath} is not an object`], '\n    ');
  }
  const req = checkFieldMap(require, requirePath);
  if (req instanceof Invalid) return req;
  if (req['id'] !== undefined && typeof req['id'] !== 'number') {
    return new Invalid([`${child(requirePath, 'id')} is not a number`]);
  }
  if (rec['fields'] === undefined) return { require: req };
  const fields = checkFieldMap(rec['fields'], child(path, 'fields'));
  return fields instanceof Invalid ? fields : { require: req, fields };
}

/** `NewRecordWithStringId`: `{id?: string, fields?: {...}}`. */
function newRecordWithStringId(item: unknown, path: string): Invalid | { id?: string; fields?: Fields } {
  const rec = item as Record<string, unknown>;
  const id = rec['id'];
  if (id !== undefined && typeof id !== 'string') return new Invalid([`${child(path, 'id')} is not a string`]);
  const out: { id?: string; fields?: Fields } = {};
  if (id !== undefined) out.id = id;
  if (rec['fields'] !== undefined) {
    const fields = checkFieldMap(rec['fields'], child(path, 'fields'));
    if (fields instanceof Invalid) return fields;
    out.fields = fields;
  }
  return out;
}

/** `RecordWithStringId`: `{id: string, fields: {...}}`. */
function recordWithStringId(item: unknown, path: string): Invalid | { id: string; fields: Fields } {
  const rec = item as Record<string, unknown>;
  const id = rec['id'];
  if (id === undefined) return new Invalid([`${child(path, 'id')} is missing`]);
  if (typeof id !== 'string') return new Invalid([`${child(path, 'id')} is not a string`]);
  if (rec['fields'] === undefined) return new Invalid([`${child(path, 'fields')} is missing`]);
  const fields = checkFieldMap(rec['fields'], child(path, 'fields'));
  return fields instanceof Invalid ? fields : { id, fields };
}

/** `POST /records` body (`RecordsPost`). */
export function checkRecordsPost(body: unknown): { fields?: Fields }[] {
  return unwrap(checkNonEmptyList(bodyObject(body)['records'], 'body.records', 'NewRecord', newRecord));
}

/**
 * `POST /records?flat=true` body: a plain list of field maps; a top-level `id` in them is dropped
 * (02 add-flat). A body that is not a list is checked as the normal shape.
 */
export function checkFlatRecordsPost(body: unknown): { fields?: Fields }[] {
  if (!Array.isArray(body)) return checkRecordsPost(body);
  const wrapped = body.map((item: unknown) => {
    if (!isObject(item)) return item;
    const { id: _ignored, ...fields } = item;
    return { fields };
  });
  return checkRecordsPost({ records: wrapped });
}

/** `PATCH /records` body (`RecordsPatch`). */
export function checkRecordsPatch(body: unknown): { id: number; fields: Fields }[] {
  return unwrap(checkNonEmptyList(bodyObject(body)['records'], 'body.records', 'Record', patchRecord));
}

/** `PUT /records` body (`RecordsPut`). */
export function checkRecordsPut(body: unknown): { require: Fields; fields?: Fields }[] {
  return unwrap(checkNonEmptyList(bodyObject(body)['records'], 'body.records', 'AddOrUpdateRecord', upsertRecord));
}

/** `POST /columns` body (`ColumnsPost`). */
export function checkColumnsPost(body: unknown): { id?: string; fields?: Fields }[] {
  return unwrap(checkNonEmptyList(bodyObject(body)['columns'], 'body.columns', 'NewRecordWithStringId', newRecordWithStringId));
}

/**
 * `PATCH /columns` body (`ColumnsPatch`); `PUT /columns` uses the same shape, but Grist's message there
 * says `value.` instead of `body.` (06 put-columns-missing-fields).
 */
export function checkColumnsPatch(body: unknown, root: 'body' | 'value' = 'body'): { id: string; fields: Fields }[] {
  return unwrap(checkNonEmptyList(bodyObject(body)['columns'], `${root}.columns`, 'RecordWithStringId', recordWithStringId));
}

/** `POST /tables` body (`TablesPost`). */
export function checkTablesPost(body: unknown): { id?: string; columns: { id?: string; fields?: Fields }[] }[] {
  return unwrap(
    checkNonEmptyList(bodyObject(body)['tables'], 'body.tables', 'TablePost', (item, path) => {
      const rec = item as Record<string, unknown>;
      const columns = checkNonEmptyList(rec['columns'], child(path, 'columns'), 'NewRecordWithStringId', newRecordWithStringId);
      if (columns instanceof Invalid) return columns;
      const id = rec['id'];
      if (id !== undefined && typeof id !== 'string') return new Invalid([`${child(path, 'id')} is not a string`]);
      return id === undefined ? { columns } : { id, columns };
    }),
  );
}

/** `PATCH /tables` body (`TablesPatch`). */
export function checkTablesPatch(body: unknown): { id: string; fields: Fields }[] {
  return unwrap(checkNonEmptyList(bodyObject(body)['tables'], 'body.tables', 'RecordWithStringId', recordWithStringId));
}

/** `POST /sql` body (`SqlPost`). */
export function checkSqlPost(body: unknown): { sql: string; args?: unknown[] | null; timeout?: number } {
  const b = bodyObject(body);
  const sql = b['sql'];
  if (sql === undefined) throw payloadError(['body.sql is missing']);
  if (typeof sql !== 'string') throw payloadError(['body.sql is not a string']);
  const args = b['args'];
  if (args !== undefined && args !== null && !Array.isArray(args)) throw payloadError(['body.args is none of any[], null']);
  const timeout = b['timeout'];
  if (timeout !== undefined && typeof timeout !== 'number') throw payloadError(['body.timeout is not a number']);
  const out: { sql: string; args?: unknown[] | null; timeout?: number } = { sql };
  if (args !== undefined) out.args = args as unknown[] | null;
  if (timeout !== undefined) out.timeout = timeout;
  return out;
}

/** The body of `POST /records/list` (`RecordsListPost`). */
export interface RecordsListBody {
  filter?: Record<string, CellValue[]>;
  sort?: string[];
  limit?: number;
  hidden?: boolean;
  cellFormat?: unknown;
}

/** `POST /records/list` body: every key optional, `{}` reads everything. */
export function checkRecordsList(body: unknown): RecordsListBody {
  const b = bodyObject(body);
  const out: RecordsListBody = {};
  const filter = b['filter'];
  if (filter !== undefined) {
    if (!isObject(filter) || Array.isArray(filter)) throw payloadError(['body.filter is not an object']);
    for (const [key, values] of Object.entries(filter)) {
      if (!Array.isArray(values)) throw payloadError([`body.filter.${key} is not an array`]);
    }
    out.filter = filter as Record<string, CellValue[]>;
  }
  const sort = b['sort'];
  if (sort !== undefined) {
    if (!Array.isArray(sort)) throw payloadError(['body.sort is not an array']);
    sort.forEach((key: unknown, i) => {
      if (typeof key !== 'string') throw payloadError([`body.sort[${i}] is not a string`]);
    });
    out.sort = sort as string[];
  }
  const limit = b['limit'];
  if (limit !== undefined) {
    if (typeof limit !== 'number') throw payloadError(['body.limit is not a number']);
    out.limit = limit;
  }
  const hidden = b['hidden'];
  if (hidden !== undefined) {
    if (typeof hidden !== 'boolean') throw payloadError(['body.hidden is not a boolean']);
    out.hidden = hidden;
  }
  if (b['cellFormat'] !== undefined) out.cellFormat = b['cellFormat'];
  return out;
}

/**
 * The body of `POST /records/delete` and `POST /data/delete`: a bare list of row ids. Anything else is
 * Grist's sandbox assertion (note the trailing space) (04 delete-body-object, 04 delete-body-strings).
 */
export function checkDeleteIds(body: unknown): number[] {
  if (!Array.isArray(body) || !body.every((id) => typeof id === 'number' && Number.isInteger(id))) {
    throw new GristError(400, 'Error manipulating data: [Sandbox] AssertionError ');
  }
  return body as number[];
}
