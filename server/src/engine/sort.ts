/**
 * Grist's record sort orders (grist-api.md section 4.3): parsing sort specs and comparing cells the way
 * Grist's `SortFunc` does. Pure functions.
 */
import type { CellValue, GristRecord } from '../backend/types.js';
import { CellError } from './cells.js';

/** One sort key. */
export interface SortKey {
  /** A column id, or a numeric colRef (from a key like '-10'). */
  col: string | number;
  descending: boolean;
  naturalSort: boolean;
  emptyLast: boolean;
  orderByChoice: boolean;
}

const COLREF_RE = /^\d+$/;

function parseKey(spec: string): SortKey {
  const descending = spec.startsWith('-');
  const body = descending ? spec.slice(1) : spec;
  const colon = body.indexOf(':');
  const name = colon < 0 ? body : body.slice(0, colon);
  const key: SortKey = {
    col: COLREF_RE.test(name) ? Number(name) : name,
    descending, naturalSort: false, emptyLast: false, orderByChoice: false,
  };
  if (colon >= 0) {
    for (const flag of body.slice(colon + 1).split(';')) {
      // Unknown flags are ignored, as Grist does (03 sort-unknown-flag).
      if (flag === 'naturalSort' || flag === 'emptyLast' || flag === 'orderByChoice') { key[flag] = true; }
    }
  }
  return key;
}

/** Parses `"A,-B:naturalSort;emptyLast"` or `['-Price', 'Name']`. Keeps spaces (Grist reports
 *  `unknown key  Price`), ignores unknown flags. An empty string means no sort. */
export function parseSort(spec: string | readonly string[]): SortKey[] {
  const parts = typeof spec === 'string' ? (spec === '' ? [] : spec.split(',')) : spec;
  return parts.map(parseKey);
}

/** Case-insensitive first, as Grist's collator sorts `ball, bread, ..., Saw, yoyo` (03 sort-text-default). */
const collator = new Intl.Collator('en-US');
/** For naturalSort's text parts: case is only a final tie-break, so `Item20` sorts between `item10` and `item50`. */
const caselessCollator = new Intl.Collator('en-US', { sensitivity: 'accent' });

/** Grist orders values of different kinds by the name of their JS type: boolean < number < object < string. */
function typeRank(v: CellValue): number {
  switch (typeof v) {
    case 'boolean': return 0;
    case 'number': return 1;
    case 'string': return 3;
    default: return 2; // null and lists ("object")
  }
}

const DIGIT_SPLIT = /(\d+)/;

/** naturalSort: digit runs compare as numbers (`item2 < item3 < item10 < Item20`). */
function naturalCompare(a: string, b: string): number {
  const pa = a.split(DIGIT_SPLIT);
  const pb = b.split(DIGIT_SPLIT);
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    // split() with a capture group puts digit runs at odd indexes.
    const c = i % 2 === 1 ? Number(x) - Number(y) : caselessCollator.compare(x, y);
    if (c !== 0) { return c < 0 ? -1 : 1; }
  }
  if (pa.length !== pb.length) { return pa.length < pb.length ? -1 : 1; }
  return collator.compare(a, b);
}

function nativeCompare(a: number | boolean, b: number | boolean): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Grist's `typedCompare`: type order first, then lists element-wise, strings by collator, others natively. */
function typedCompare(a: CellValue, b: CellValue, natural: boolean): number {
  const ra = typeRank(a), rb = typeRank(b);
  if (ra !== rb) { return ra < rb ? -1 : 1; }
  switch (typeof a) {
    case 'string': return natural ? naturalCompare(a, b as string) : collator.compare(a, b as string);
    case 'number': case 'boolean': return nativeCompare(a, b as number | boolean);
    default: {
      // null sorts before lists; lists compare element by element, then by length.
      if (a === null || b === null) { return a === b ? 0 : a === null ? -1 : 1; }
      const la = a as unknown[], lb = b as unknown[];
      const n = Math.min(la.length, lb.length);
      for (let i = 0; i < n; i++) {
        const c = typedCompare(la[i] as CellValue, lb[i] as CellValue, natural);
        if (c !== 0) { return c; }
      }
      return la.length === lb.length ? 0 : la.length < lb.length ? -1 : 1;
    }
  }
}

/** Empty for emptyLast: `""`, null, false and empty lists (0 is not empty). */
function isEmpty(v: CellValue): boolean {
  return v === null || v === '' || v === false || (Array.isArray(v) && v.length <= 1 && v[0] === 'L');
}

/** Compares two decoded cells as Grist sorts them (type order boolean < number < null/list < string,
 *  case-insensitive locale collation for strings, naturalSort/emptyLast/orderByChoice). Errors sort like null.
 *  The result already includes the key's direction; emptyLast puts empty values last in both directions. */
export function compareCells(
  a: CellValue | CellError,
  b: CellValue | CellError,
  key: SortKey,
  choices?: readonly string[],
): number {
  const x = a instanceof CellError ? null : a;
  const y = b instanceof CellError ? null : b;
  if (key.emptyLast) {
    const ex = isEmpty(x), ey = isEmpty(y);
    if (ex !== ey) { return ex ? 1 : -1; }
  }
  let c = 0;
  if (key.orderByChoice && choices) {
    // Values in the choices list come first, in list order; the rest follow in normal order.
    const ix = typeof x === 'string' ? choices.indexOf(x) : -1;
    const iy = typeof y === 'string' ? choices.indexOf(y) : -1;
    const rx = ix < 0 ? choices.length : ix, ry = iy < 0 ? choices.length : iy;
    c = rx - ry;
  }
  if (c === 0) { c = typedCompare(x, y, key.naturalSort); }
  if (c === 0) { return 0; }
  const sign = c < 0 ? -1 : 1;
  return key.descending ? -sign : sign;
}

/** Builds a comparator over row objects given a value accessor per key, with Grist's tie-break
 *  (manualSort ascending, then id). */
export function makeRowComparator<R>(
  keys: readonly SortKey[],
  get: (row: R, key: SortKey) => CellValue | CellError,
  tieBreak: (a: R, b: R) => number,
  choicesFor?: (key: SortKey) => readonly string[] | undefined,
): (a: R, b: R) => number {
  // Resolve choice lists once, not per comparison.
  const choices = keys.map((k) => (k.orderByChoice && choicesFor ? choicesFor(k) : undefined));
  return (a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as SortKey;
      const c = compareCells(get(a, key), get(b, key), key, choices[i]);
      if (c !== 0) { return c; }
    }
    return tieBreak(a, b);
  };
}

/** A record's values of the sort columns, in key order (the keyset position of sorted paging). */
export function sortValues(record: GristRecord, keys: readonly SortKey[]): CellValue[] {
  return keys.map((key) => (typeof key.col === 'string' ? (record.fields[key.col] ?? null) : null));
}
