/**
 * Keys that JavaScript objects cannot hold as plain data. A JSON body may carry `"__proto__"` as a key
 * (JSON.parse makes it an own property), but validation and every later `{...spread}` or `obj[key] = v`
 * turns it into the object's prototype: the key silently vanishes (a filter on it is ignored, an update
 * of only that key reports success and changes nothing). No Grist column can have such an id (ids start
 * with a letter), so the gateway refuses these keys up front, naming where they are.
 */
import { passesFastInput } from '@grist-gateway/shared';
import { GatewayError } from '../errors.js';

const FORBIDDEN = new Set(['__proto__']);

/** Own-key test that V8 optimizes inside `for...in` (`Object.hasOwn` there costs twice the whole walk). */
const hasOwnProperty = Object.prototype.hasOwnProperty;

/** Deepest nesting inspected; inputs are validated afterwards, so deeper nesting is refused there anyway. */
const MAX_DEPTH = 64;

/**
 * Throws INVALID_REQUEST when `input` holds a `__proto__` key anywhere (checked on own keys only). With
 * the `method` being called, a bulk record input that passes the method's fast input check (which refuses
 * such keys everywhere, and is remembered for the call's own input parsing) needs no walk of its own: the
 * 100,000 cells of a large add are visited once instead of twice.
 */
export function refuseForbiddenKeys(input: unknown, method?: string): void {
  if (method !== undefined && passesFastInput(method, input)) return;
  const found = findForbiddenKey(input, 0);
  if (found !== undefined) throw forbiddenKeyError(pathText(found));
}

/**
 * The same check on a JSON text, for transports whose decoding drops the key before the router sees it
 * (superjson on `/trpc`): returns the error naming the first such key, or undefined. `strip` removes the
 * transport's own wrapping from the reported path (e.g. `0.json.`).
 */
export function forbiddenKeyInJson(text: string, strip?: RegExp): GatewayError | undefined {
  if (!text.includes('__proto__')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined; // not JSON: the transport reports that itself
  }
  const found = findForbiddenKey(parsed, 0);
  if (found === undefined) return undefined;
  const path = pathText(found);
  return forbiddenKeyError(strip ? path.replace(strip, '') : path);
}

function forbiddenKeyError(path: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `${path}: "__proto__" cannot be a column id or field name`);
}

/** `records[3].fields.__proto__` from its segments. */
function pathText(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out;
}

/**
 * The path (segments from `value` down) of the first forbidden own key, or undefined. It walks every
 * object of the input (20,000 records of an add), so it allocates nothing on the way: no key arrays
 * (`for...in` over own keys) and no path strings, which are built only for the key found.
 */
function findForbiddenKey(value: unknown, depth: number): (string | number)[] | undefined {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') {
        const found = findForbiddenKey(v, depth + 1);
        if (found !== undefined) return (found.unshift(i), found);
      }
    }
    return undefined;
  }
  for (const key in value) {
    if (!hasOwnProperty.call(value, key)) continue;
    if (FORBIDDEN.has(key)) return [key];
    const v = (value as Record<string, unknown>)[key];
    if (v !== null && typeof v === 'object') {
      const found = findForbiddenKey(v, depth + 1);
      if (found !== undefined) return (found.unshift(key), found);
    }
  }
  return undefined;
}
