/** Grist's record sort orders: parsing sort specs and comparing cells. */
import type { CellValue } from '../backend/types.js';
import type { CellError } from './cells.js';

/** One sort key. */
export interface SortKey {
  /** A column id, or a numeric colRef (from a key like '-10'). */
  col: string | number;
  descending: boolean;
  naturalSort: boolean;
  emptyLast: boolean;
  orderByChoice: boolean;
}

/** Parses `"A,-B:naturalSort;emptyLast"` or `['-Price', 'Name']`. Keeps spaces (Grist reports
 *  `unknown key  Price`), ignores unknown flags. */
export function parseSort(spec: string | readonly string[]): SortKey[] {
  return [];
}

/** Compares two decoded cells as Grist sorts them. Errors sort like null. */
export function compareCells(
  a: CellValue | CellError,
  b: CellValue | CellError,
  key: SortKey,
  choices?: readonly string[],
): number {
  return 0;
}

/** Builds a comparator over row objects given a value accessor per key, with Grist's tie-break
 *  (manualSort ascending, then id). */
export function makeRowComparator<R>(
  keys: readonly SortKey[],
  get: (row: R, key: SortKey) => CellValue | CellError,
  tieBreak: (a: R, b: R) => number,
  choicesFor?: (key: SortKey) => readonly string[] | undefined,
): (a: R, b: R) => number {
  return tieBreak;
}
