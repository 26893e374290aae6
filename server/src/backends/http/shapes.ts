/**
 * Narrowing of Grist's JSON answers. The backend trusts Grist's shapes (grist-api.md) but checks the
 * envelope, so that a proxy's error page or a different API version gives a clear 502, not a crash later.
 */
import { GristError } from '../../backend/errors.js';

/** `true` for a non-null, non-array object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The error for an answer of the wrong shape: a Grist malfunction (502), never the caller's fault. */
export function malformed(what: string, expected: string): GristError {
  return new GristError(502, `unexpected answer from Grist for ${what}: expected ${expected}`, undefined, { kind: 'malformed' });
}

/** `value[key]` as a list; throws a 502 naming the request when it is not one. */
export function listAt(value: unknown, key: string, what: string): unknown[] {
  const list = isObject(value) ? value[key] : undefined;
  if (!Array.isArray(list)) throw malformed(what, `an object with a "${key}" list`);
  return list;
}

/** The `id`s of a list of `{id}` objects (`{"records": [{"id": 1}]}`, `{"tables": [{"id": "T"}]}`). */
export function idsAt<T extends 'number' | 'string'>(value: unknown, key: string, type: T, what: string): (T extends 'number' ? number : string)[] {
  return listAt(value, key, what).map((entry) => {
    const id = isObject(entry) ? entry['id'] : undefined;
    if (typeof id !== type) throw malformed(what, `"${key}" entries with a ${type} id`);
    return id as T extends 'number' ? number : string;
  });
}

/** A bare list of numbers (`POST /attachments`). */
export function numberList(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number')) throw malformed(what, 'a list of ids');
  return value as number[];
}

/** An object answer. */
export function objectAnswer(value: unknown, what: string): Record<string, unknown> {
  if (!isObject(value)) throw malformed(what, 'an object');
  return value;
}
