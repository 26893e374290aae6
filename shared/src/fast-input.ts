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
 */
import type { z } from 'zod';

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
      return value === null || (Array.isArray(value) && value.length >= 1 && typeof value[0] === 'string');
    default:
      return false;
  }
}

/** The registry's `fieldValues`: column id -> cell value. */
function isFields(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (key === '__proto__' || !Object.hasOwn(value, key)) return false;
    if (!isCell(value[key])) return false;
  }
  return true;
}

/** Only these keys, each passing its check (absent keys are allowed when `optional`). */
function hasShape(value: unknown, checks: Record<string, { check: (v: unknown) => boolean; optional?: boolean }>): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (!Object.hasOwn(checks, key)) return false;
  }
  for (const [key, { check, optional }] of Object.entries(checks)) {
    const v = value[key];
    if (v === undefined) {
      if (!optional || Object.hasOwn(value, key)) return false;
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

/**
 * `get_records` without a filter (small, but on every read: zod's object parse costs more than the check).
 * `sort` is a string or a list of non-empty strings; `limit` a positive safe integer, as `rowId`.
 */
const nonEmptyStrings = everyItem(nonEmptyString);
const getRecordsInput = {
  ...common,
  sort: { check: (v: unknown): boolean => typeof v === 'string' || nonEmptyStrings(v), optional: true },
  limit: { check: rowId, optional: true },
  cursor: { check: nonEmptyString, optional: true },
};

/** Fast checks by method name. */
export const fastInputChecks: Readonly<Record<string, (input: unknown) => boolean>> = {
  get_records: (input) => hasShape(input, getRecordsInput),
  add_records: (input) => hasShape(input, { ...common, records: { check: everyItem(isFields) } }),
  update_records: (input) =>
    hasShape(input, {
      ...common,
      records: { check: everyItem((r) => hasShape(r, { id: { check: rowId }, fields: { check: isFields } })) },
    }),
  add_or_update_records: (input) =>
    hasShape(input, {
      ...common,
      records: { check: everyItem((r) => hasShape(r, { require: { check: isFields }, fields: { check: isFields, optional: true } })) },
      on_many: { check: (v) => v === 'first' || v === 'none' || v === 'all', optional: true },
      add: { check: isBool, optional: true },
      update: { check: isBool, optional: true },
    }),
};

/**
 * The method's input schema with the fast path in front: the same static types and the same results,
 * for a procedure input parser (tRPC calls `parse`, then `parseAsync`).
 */
export function withFastInput<S extends z.ZodType>(name: string, schema: S): S {
  const check = fastInputChecks[name];
  if (!check) return schema;
  return Object.create(schema, {
    parse: { value: (input: unknown, params?: unknown) => (check(input) ? input : schema.parse(input, params as never)) },
    parseAsync: { value: async (input: unknown, params?: unknown) => (check(input) ? input : schema.parseAsync(input, params as never)) },
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
    if (!Object.hasOwn(value, key)) return false;
    if (first) {
      if (key !== 'id' || !rowId(value[key])) return false;
      first = false;
    } else if (key === '_errors' || key === '__proto__' || !isCell(value[key])) return false;
  }
  return !first;
}

/** The shape of a `get_records` answer, made once (not a closure per answer). */
const getRecordsOutput = {
  records: { check: everyItem(isPlainFlatRecord) },
  next_cursor: { check: (v: unknown): boolean => v === null || typeof v === 'string' },
};

/** Fast checks of outputs by method name (same contract as the input checks: only what zod returns as is). */
export const fastOutputChecks: Readonly<Record<string, (output: unknown) => boolean>> = {
  get_records: (output) => hasShape(output, getRecordsOutput) && Object.keys(output as object)[0] === 'records',
  // One id per added row (10,000s of them): zod's `z.int()` is a safe integer.
  add_records: (output) => hasShape(output, { record_ids: { check: everyItem((v) => typeof v === 'number' && Number.isSafeInteger(v)) } }),
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
