/**
 * Fast sorting of decoded rows in Grist's order: instead of calling `compareCells` on every comparison,
 * each sort key is first turned into one number per row (a rank) whose numeric order is exactly the
 * key's order, and an index array is sorted on those numbers (tie-break manualSort, then id).
 *
 * Ranks: a key whose cells are all numbers uses the numbers themselves (negated when descending: numbers
 * are never "empty" and choices only order strings, so compareCells is plain numeric order there). Any
 * other key with many repeated values sorts its DISTINCT values once with `compareCells` and numbers them,
 * equal values sharing a rank (a key of mostly distinct values is compared directly); that relies on
 * `compareCells` being a total preorder, which holds for its lexicographic composition of type rank, emptiness, choice position, collator and element-wise list order. naturalSort
 * keys keep the direct comparator (digit-run splitting is not guaranteed transitive).
 */
import type { CellValue } from '../backend/types.js';
import { CellError } from './cells.js';
import { compareCells, type SortKey } from './sort.js';

/** One resolved sort key: where its cells are in each row, and its choices for orderByChoice. */
export interface IndexedKey {
  key: SortKey;
  /** Position in the row's cells. */
  index: number;
  choices?: readonly string[];
}

/** The cells of one column, one per row. */
export type ColumnValues = readonly (CellValue | CellError | undefined)[];

function cmpNum(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether a sample of the column is mostly distinct values: ranking them would cost a sort of nearly all
 * values plus extra comparisons, more than comparing cells directly. (A heuristic: only speed depends on it.)
 */
function mostlyDistinct(values: ColumnValues): boolean {
  const step = Math.max(1, Math.floor(values.length / 1024));
  const seen = new Set<unknown>();
  let sampled = 0;
  for (let i = 0; i < values.length; i += step) {
    const v = values[i];
    seen.add(v !== null && typeof v === 'object' ? (v instanceof CellError ? null : JSON.stringify(v)) : v);
    sampled++;
  }
  return seen.size * 2 > sampled;
}

/** Ranks of one key, or undefined when the key must be compared directly. */
function ranksOf(values: ColumnValues, k: IndexedKey): Float64Array | undefined {
  const n = values.length;
  const ranks = new Float64Array(n);
  let allNumbers = true;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number') { allNumbers = false; break; }
    ranks[i] = k.key.descending ? -v : v;
  }
  if (allNumbers) { return ranks; }
  if (k.key.naturalSort || mostlyDistinct(values)) { return undefined; }
  // Distinct values: primitives grouped by value (SameValueZero), lists/objects by their JSON in a separate
  // map so they never merge with a string. Identical values always compare equal, so grouping is safe.
  const prims = new Map<unknown, number>();
  const lists = new Map<string, number>();
  const distinct: CellValue[] = [];
  const slot = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const raw = values[i] ?? null;
    const v: CellValue = raw instanceof CellError ? null : raw;
    let s: number | undefined;
    if (v !== null && typeof v === 'object') {
      const g = JSON.stringify(v);
      s = lists.get(g);
      if (s === undefined) { s = distinct.length; distinct.push(v); lists.set(g, s); }
    } else {
      s = prims.get(v);
      if (s === undefined) { s = distinct.length; distinct.push(v); prims.set(v, s); }
    }
    slot[i] = s;
  }
  const order = distinct.map((_, i) => i);
  order.sort((a, b) => compareCells(distinct[a] as CellValue, distinct[b] as CellValue, k.key, k.choices));
  const rankOfSlot = new Float64Array(distinct.length);
  let rank = 0;
  for (let j = 0; j < order.length; j++) {
    const cur = order[j] as number;
    if (j > 0 && compareCells(distinct[order[j - 1] as number] as CellValue, distinct[cur] as CellValue, k.key, k.choices) !== 0) {
      rank++;
    }
    rankOfSlot[cur] = rank;
  }
  for (let i = 0; i < n; i++) { ranks[i] = rankOfSlot[slot[i] as number] as number; }
  return ranks;
}

/**
 * The comparison of row positions in Grist's order for `keys`, then manualSort (when both rows have
 * numbers there), then id: a total order. `valuesOf(index)` gives the column of cells at `index` (0 = id).
 */
export function orderComparator(
  n: number, keys: readonly IndexedKey[], valuesOf: (index: number) => ColumnValues,
  ids: ArrayLike<number>, manualSort: ColumnValues | undefined,
): (a: number, b: number) => number {
  // Ranks of a later key are only computed when an earlier key ties (never, when the first key is unique).
  const ranks: (Float64Array | undefined | null)[] = keys.map(() => null);
  const columns = keys.map((k) => valuesOf(k.index));
  const ms = new Float64Array(n);
  const msIsNum = new Uint8Array(n);
  if (manualSort) {
    for (let i = 0; i < n; i++) {
      const m = manualSort[i];
      if (typeof m === 'number') { ms[i] = m; msIsNum[i] = 1; }
    }
  }
  return (a, b) => {
    for (let j = 0; j < keys.length; j++) {
      const k = keys[j] as IndexedKey;
      let r = ranks[j];
      if (r === null) { r = ranks[j] = ranksOf(columns[j] as ColumnValues, k); }
      let c: number;
      if (r) {
        c = cmpNum(r[a] as number, r[b] as number);
      } else {
        const values = columns[j] as ColumnValues;
        c = compareCells(values[a] ?? null, values[b] ?? null, k.key, k.choices);
      }
      if (c !== 0) { return c; }
    }
    if (msIsNum[a] && msIsNum[b] && ms[a] !== ms[b]) { return (ms[a] as number) - (ms[b] as number); }
    return (ids[a] as number) - (ids[b] as number);
  };
}

/**
 * The order (row positions) of `n` rows sorted in Grist's order for `keys`, then manualSort (when both
 * rows have numbers there), then id. `valuesOf(index)` gives the column of cells at `index` (0 = id).
 */
export function sortOrder(
  n: number, keys: readonly IndexedKey[], valuesOf: (index: number) => ColumnValues,
  ids: ArrayLike<number>, manualSort: ColumnValues | undefined,
): number[] {
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) { order[i] = i; }
  if (n < 2) { return order; }
  return order.sort(orderComparator(n, keys, valuesOf, ids, manualSort));
}
