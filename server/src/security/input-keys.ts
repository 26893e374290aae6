/**
 * Keys that JavaScript objects cannot hold as plain data. A JSON body may carry `"__proto__"` as a key
 * (JSON.parse makes it an own property), but validation and every later `{...spread}` or `obj[key] = v`
 * turns it into the object's prototype: the key silently vanishes (a filter on it is ignored, an update
 * of only that key reports success and changes nothing). No Grist column can have such an id (ids start
 * with a letter), so the gateway refuses these keys up front, naming where they are.
 */
import { GatewayError } from '../errors.js';

const FORBIDDEN = new Set(['__proto__']);

/** Deepest nesting inspected; inputs are validated afterwards, so deeper nesting is refused there anyway. */
const MAX_DEPTH = 64;

/** Throws INVALID_REQUEST when `input` holds a `__proto__` key anywhere (checked on own keys only). */
export function refuseForbiddenKeys(input: unknown): void {
  // The walk that names the key's path builds a string per key: run it only once one is known to be there
  // (bulk writes carry 100,000s of keys).
  if (!hasForbiddenKey(input, 0)) return;
  const found = findForbiddenKey(input, '', 0);
  if (found !== undefined) throw forbiddenKeyError(found);
}

/** Whether a forbidden key is anywhere within {@link MAX_DEPTH} (the same walk as findForbiddenKey, no paths). */
function hasForbiddenKey(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object' && hasForbiddenKey(v, depth + 1)) return true;
    }
    return false;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN.has(key)) return true;
    const v = (value as Record<string, unknown>)[key];
    if (v !== null && typeof v === 'object' && hasForbiddenKey(v, depth + 1)) return true;
  }
  return false;
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
  const found = findForbiddenKey(parsed, '', 0);
  return found === undefined ? undefined : forbiddenKeyError(strip ? found.replace(strip, '') : found);
}

function forbiddenKeyError(path: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `${path}: "__proto__" cannot be a column id or field name`);
}

function findForbiddenKey(value: unknown, at: string, depth: number): string | undefined {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') {
        const found = findForbiddenKey(v, `${at}[${i}]`, depth + 1);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const path = at ? `${at}.${key}` : key;
    if (FORBIDDEN.has(key)) return path;
    const v = (value as Record<string, unknown>)[key];
    if (v !== null && typeof v === 'object') {
      const found = findForbiddenKey(v, path, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
