/**
 * Normalising and comparing answers with the recorded ones: the README's placeholders, JSON-path masks
 * for expected differences, and a concise diff for the failure summary.
 */

/** Placeholders that stand for any run-dependent value. */
const PLACEHOLDERS = new Set(['<timestamp>', '<hash>', '<actionNum>']);

/** Replaces the document id in every string of an answer by `<docId>` (and Python addresses by `<addr>`). */
export function normaliseActual(value: unknown, docId: string): unknown {
  if (typeof value === 'string') return value.replaceAll(docId, '<docId>').replace(/ at 0x[0-9a-f]+>/g, ' at <addr>>');
  if (Array.isArray(value)) return value.map((v: unknown) => normaliseActual(v, docId));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normaliseActual(v, docId)]));
  }
  return value;
}

/**
 * Puts the expected placeholders into the actual value where the expected has one and the actual has a
 * value of a plausible kind (a string or number), so that the comparison treats them as equal.
 */
export function applyPlaceholders(expected: unknown, actual: unknown): unknown {
  if (typeof expected === 'string' && PLACEHOLDERS.has(expected) && (typeof actual === 'string' || typeof actual === 'number')) {
    return expected;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) return actual.map((v: unknown, i) => applyPlaceholders(expected[i], v));
  if (isPlainObject(expected) && isPlainObject(actual)) {
    return Object.fromEntries(Object.entries(actual).map(([k, v]) => [k, applyPlaceholders(expected[k], v)]));
  }
  return actual;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Splits `body.records[*].fields.Total` into `['body', 'records', '*', 'fields', 'Total']`. */
export function parsePath(path: string): string[] {
  const tokens: string[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((?:\[[^\]]+\])*)$/.exec(part);
    if (!m) throw new Error(`bad mask path ${path}`);
    if (m[1]) tokens.push(m[1]);
    for (const idx of (m[2] ?? '').matchAll(/\[([^\]]+)\]/g)) tokens.push(idx[1] ?? '');
  }
  return tokens;
}

/** The marker left where a masked value was. */
export const MASKED = '<masked>';

/**
 * Returns a copy of `value` where every location matching `tokens` (`*` = any key/index) is masked: an
 * object key is removed, a list element becomes {@link MASKED}. An `errors` map left empty is dropped
 * (Grist sends no `errors` key for a record without error cells), so masking a formula column's value
 * and its error entry makes both sides agree.
 */
export function mask(value: unknown, tokens: string[]): unknown {
  if (tokens.length === 0) return MASKED;
  const [head, ...rest] = tokens as [string, ...string[]];
  if (Array.isArray(value)) {
    return value.map((v: unknown, i) => (head === '*' || head === String(i) ? mask(v, rest) : v));
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (head !== '*' && head !== k) out[k] = v;
      else if (rest.length > 0) out[k] = mask(v, rest);
    }
    if (isPlainObject(out['errors']) && Object.keys(out['errors']).length === 0) delete out['errors'];
    return out;
  }
  return value;
}

/** Applies text rules (pattern -> replacement) to every string of a JSON value. */
export function rewriteStrings(value: unknown, rules: readonly { pattern: RegExp; replacement: string }[]): unknown {
  if (typeof value === 'string') return rules.reduce((text, r) => text.replace(r.pattern, r.replacement), value);
  if (Array.isArray(value)) return value.map((v: unknown) => rewriteStrings(v, rules));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewriteStrings(v, rules)]));
  return value;
}

/** Every differing location (no limit), for generating difference entries. */
export function allDiffPaths(expected: unknown, actual: unknown): string[] {
  return diffLines(expected, actual, Number.MAX_SAFE_INTEGER).map((line) => line.slice(0, line.indexOf(': expected')));
}

/** Structural equality of JSON values (object key order ignored, list order kept). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v: unknown, i) => jsonEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Up to `max` differing locations, as `path: expected X, got Y` lines. */
export function diffLines(expected: unknown, actual: unknown, max = 6, path = ''): string[] {
  const out: string[] = [];
  const walk = (e: unknown, a: unknown, p: string): void => {
    if (out.length >= max || jsonEqual(e, a)) return;
    if (Array.isArray(e) && Array.isArray(a) && e.length === a.length) {
      e.forEach((v: unknown, i) => walk(v, a[i], `${p}[${i}]`));
      return;
    }
    if (isPlainObject(e) && isPlainObject(a)) {
      for (const k of new Set([...Object.keys(e), ...Object.keys(a)])) walk(e[k], a[k], p ? `${p}.${k}` : k);
      return;
    }
    out.push(`${p || '(root)'}: expected ${short(e)}, got ${short(a)}`);
  };
  walk(expected, actual, path);
  return out;
}

function short(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/**
 * Returns a copy of `value` where every list at `tokens` (`*` wildcard) is sorted by its elements' `id`
 * (then by JSON text), for answers whose order legitimately differs.
 */
export function sortListsAt(value: unknown, tokens: string[]): unknown {
  if (tokens.length === 0) {
    if (!Array.isArray(value)) return value;
    const key = (v: unknown): string =>
      isPlainObject(v) && (typeof v['id'] === 'string' || typeof v['id'] === 'number') ? String(v['id']) : JSON.stringify(v);
    return [...value].sort((a: unknown, b: unknown) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
  const [head, ...rest] = tokens as [string, ...string[]];
  if (Array.isArray(value)) return value.map((v: unknown, i) => (head === '*' || head === String(i) ? sortListsAt(v, rest) : v));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, head === '*' || head === k ? sortListsAt(v, rest) : v]));
  }
  return value;
}
