/**
 * A compiled fast path for validating the inputs of the bulk record methods (`add_records`,
 * `update_records`, `add_or_update_records`), whose cost grows with the number of cells, and the outputs of
 * `get_records` (thousands of records per answer, e.g. every slice of a streamed whole-table read) and
 * `add_records` (one id per added row).
 *
 * zod validates 10,000 rows x 10 cells in tens of milliseconds; these hand-written checks do the same
 * test in a few. They accept exactly a subset of what the registry's zod schema accepts, and only inputs
 * that zod would return unchanged (no unknown keys to strip, no `__proto__` keys): for those, the input
 * itself is the parse result. Anything else, valid or not, goes to zod, which gives the same result or
 * the same error message naming the field as before. `fast-input.test.ts` checks both directions.
 *
 * An input that passes also holds no `__proto__` key anywhere (not even inside a list cell), so the
 * gateway's separate walk for such keys can be skipped for it ({@link passesFastInput}).
 */
import type { z } from 'zod';

/**
 * Own-key test for `for...in` loops. `Object.prototype.hasOwnProperty.call` is optimized inside such a
 * loop (a map check), `Object.hasOwn` is not: on 100,000 cells it took 3.6 ms instead of 1.5 ms.
 */
const hasOwnProperty = Object.prototype.hasOwnProperty;

/** Nesting inspected inside list cells; deeper values decline the fast path (zod and the key walk decide). */
const MAX_DEPTH = 32;

/** Plain JSON object (what JSON.parse and superjson produce), not an array. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The registry's `cellValue`: string, finite number, boolean, null, or a list starting with a string. */
function isCell(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      return value === null || (Array.isArray(value) && value.length >= 1 && typeof value[0] === 'string' && listFreeOfForbiddenKeys(value, 0));
    default:
      return false;
  }
}

/** The rest of a list cell (`["O", {...}]`, `["L", 1, 2]`) holds no object with a `__proto__` key. */
function listFreeOfForbiddenKeys(list: readonly unknown[], depth: number): boolean {
  for (let i = 1; i < list.length; i++) {
    const v = list[i];
    if (v !== null && typeof v === 'object' && !freeOfForbiddenKeys(v, depth + 1)) return false;
  }
  return true;
}

function freeOfForbiddenKeys(value: object, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const v of value) if (v !== null && typeof v === 'object' && !freeOfForbiddenKeys(v as object, depth + 1)) return false;
    return true;
  }
  for (const key in value) {
    if (!hasOwnProperty.call(value, key)) continue;
    if (key === '__proto__') return false;
    const v = (value as Record<string, unknown>)[key];
    if (v !== null && typeof v === 'object' && !freeOfForbiddenKeys(v, depth + 1)) return false;
  }
  return true;
}

/** The registry's `fieldValues`: column id -> cell value. */
function isFields(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (key === '__proto__' || !hasOwnProperty.call(value, key)) return false;
    if (!isCell(value[key])) return false;
  }
  return true;
}

/** Key -> check of an object's shape (absent keys are allowed when `optional`). */
type Shape = Record<string, { check: (v: unknown) => boolean; optional?: boolean }>;

/** A shape with its entries listed once (a per-record shape is tested 10,000s of times). */
function shape(checks: Shape): { checks: Shape; entries: [string, (v: unknown) => boolean, boolean][] } {
  return { checks, entries: Object.entries(checks).map(([key, { check, optional }]) => [key, check, optional === true]) };
}

/** Only the shape's keys, each passing its check. */
function hasShape(value: unknown, { checks, entries }: ReturnType<typeof shape>): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (!hasOwnProperty.call(checks, key)) return false;
  }
  for (let i = 0; i < entries.length; i++) {
    const [key, check, optional] = entries[i] as [string, (v: unknown) => boolean, boolean];
    const v = value[key];
    if (v === undefined) {
      if (!optional || hasOwnProperty.call(value, key)) return false;
    } else if (!check(v)) return false;
  }
  return true;
}

const nonEmptyString = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const isBool = (v: unknown): boolean => typeof v === 'boolean';
const rowId = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const everyItem = (check: (v: unknown) => boolean) => (v: unknown): boolean => {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!check(v[i])) return false;
  return true;
};

const common = { document: { check: nonEmptyString, optional: true }, table: { check: nonEmptyString } };

const addInput = shape({ ...common, records: { check: everyItem(isFields) } });
const updateRecord = shape({ id: { check: rowId }, fields: { check: isFields } });
const updateInput = shape({ ...common, records: { check: everyItem((r) => hasShape(r, updateRecord)) } });
const upsertRecord = shape({ require: { check: isFields }, fields: { check: isFields, optional: true } });
const upsertInput = shape({
  ...common,
  records: { check: everyItem((r) => hasShape(r, upsertRecord)) },
  on_many: { check: (v) => v === 'first' || v === 'none' || v === 'all', optional: true },
  add: { check: isBool, optional: true },
  update: { check: isBool, optional: true },
});
/**
 * `get_records` without a filter (small, but on every read: zod's object parse costs more than the check).
 * `sort` is a string or a list of non-empty strings; `limit` a positive safe integer, as `rowId`.
 */
const nonEmptyStrings = everyItem(nonEmptyString);
const getRecordsInput = shape({
  ...common,
  sort: { check: (v: unknown): boolean => typeof v === 'string' || nonEmptyStrings(v), optional: true },
  limit: { check: rowId, optional: true },
  cursor: { check: nonEmptyString, optional: true },
});

/** Fast checks by method name. */
export const fastInputChecks: Readonly<Record<string, (input: unknown) => boolean>> = {
  get_records: (input) => hasShape(input, getRecordsInput),
  add_records: (input) => hasShape(input, addInput),
  update_records: (input) => hasShape(input, updateInput),
  add_or_update_records: (input) => hasShape(input, upsertInput),
};

/**
 * Inputs that passed {@link passesFastInput} and have not been parsed yet: the parser of the same call
 * takes them as they are instead of checking them a second time (each entry is used once).
 */
const passed = new WeakSet<object>();

/**
 * Whether `input` passes the fast check of method `name` (false for methods without one). A pass is
 * remembered for this very object until its next parse by {@link withFastInput}, so a call that checks
 * its raw input early (for `__proto__` keys, before permissions) does not pay for the check twice. The
 * input must not change in between (the router's middlewares only read it).
 */
export function passesFastInput(name: string, input: unknown): boolean {
  const check = fastInputChecks[name];
  if (!check) return false;
  if (!check(input)) {
    // A mark left by an earlier call that never reached its parse must not vouch for a changed object.
    if (typeof input === 'object' && input !== null) passed.delete(input);
    return false;
  }
  passed.add(input as object);
  return true;
}

/** True once for an input {@link passesFastInput} accepted, else whether `check` accepts it. */
function fastAccepts(check: (input: unknown) => boolean, input: unknown): boolean {
  if (typeof input === 'object' && input !== null && passed.delete(input)) return true;
  return check(input);
}

/**
 * The method's input schema with the fast path in front: the same static types and the same results,
 * for a procedure input parser (tRPC calls `parse`, then `parseAsync`).
 */
export function withFastInput<S extends z.ZodType>(name: string, schema: S): S {
  const check = fastInputChecks[name];
  if (!check) return schema;
  return Object.create(schema, {
    parse: { value: (input: unknown, params?: unknown) => (fastAccepts(check, input) ? input : schema.parse(input, params as never)) },
    parseAsync: { value: async (input: unknown, params?: unknown) => (fastAccepts(check, input) ? input : schema.parseAsync(input, params as never)) },
  }) as S;
}

/**
 * A `get_records` record as the router builds it (`{id, ...fields}`) that zod's `flatRecord` returns
 * unchanged, keys in the same order: `id` first, no `_errors` (zod would move it before the fields), no
 * `__proto__` key, every other value a cell.
 */
function isPlainFlatRecord(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  let first = true;
  for (const key in value) {
    if (!hasOwnProperty.call(value, key)) return false;
    if (first) {
      if (key !== 'id' || !rowId(value[key])) return false;
      first = false;
    } else if (key === '_errors' || key === '__proto__' || !isCell(value[key])) return false;
  }
  return !first;
}

const getRecordsOutput = shape({
  records: { check: everyItem(isPlainFlatRecord) },
  next_cursor: { check: (v) => v === null || typeof v === 'string' },
});
// One id per added row (10,000s of them): zod's `z.int()` is a safe integer.
const addRecordsOutput = shape({ record_ids: { check: everyItem((v) => typeof v === 'number' && Number.isSafeInteger(v)) } });

/** Fast checks of outputs by method name (same contract as the input checks: only what zod returns as is). */
export const fastOutputChecks: Readonly<Record<string, (output: unknown) => boolean>> = {
  get_records: (output) => hasShape(output, getRecordsOutput) && Object.keys(output as object)[0] === 'records',
  add_records: (output) => hasShape(output, addRecordsOutput),
};

/** The method's output schema with the fast path in front (see {@link withFastInput}). */
export function withFastOutput<S extends z.ZodType>(name: string, schema: S): S {
  const check = fastOutputChecks[name];
  if (!check) return schema;
  return Object.create(schema, {
    parse: { value: (output: unknown, params?: unknown) => (check(output) ? output : schema.parse(output, params as never)) },
    parseAsync: { value: async (output: unknown, params?: unknown) => (check(output) ? output : schema.parseAsync(output, params as never)) },
  }) as S;
}
