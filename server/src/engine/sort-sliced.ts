/**
 * Sorting that gives the event loop back: the same result as a stable `Array.prototype.sort`, computed as
 * a bottom-up merge sort whose work is cut into slices of about `sliceMs`, with `pause()` awaited between
 * slices. A sorted read of a large table (the kept order of sorted pages) then never holds the gateway's
 * event loop for the whole sort, so other clients' small requests are answered in between.
 */

import { nextTurn } from '../util/turns.js';

/** Elements sorted by `Array.prototype.sort` at once before merging (a few ms of work). */
const RUN = 2048;
/** Elements merged between two looks at the clock. */
const CHECK_EVERY = 4096;


/**
 * Sorts `items` in place with `compare` (stable, like `Array.prototype.sort`) and returns it, awaiting
 * `pause()` whenever a slice of work has taken `sliceMs`.
 */
export async function sortSliced<T>(
  items: T[],
  compare: (a: T, b: T) => number,
  options: { sliceMs?: number; pause?: () => Promise<void> } = {},
): Promise<T[]> {
  const sliceMs = options.sliceMs ?? 10;
  const pause = options.pause ?? nextTurn;
  const n = items.length;
  let sliceStart = performance.now();
  const maybePause = async (): Promise<void> => {
    if (performance.now() - sliceStart < sliceMs) return;
    await pause();
    sliceStart = performance.now();
  };
  for (let start = 0; start < n; start += RUN) {
    const end = Math.min(n, start + RUN);
    const run = items.slice(start, end).sort(compare);
    for (let i = start; i < end; i++) items[i] = run[i - start] as T;
    await maybePause();
  }
  if (n <= RUN) return items;
  let src = items;
  let dst = new Array<T>(n);
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(n, lo + width);
      const hi = Math.min(n, lo + 2 * width);
      let i = lo;
      let j = mid;
      let k = lo;
      while (k < hi) {
        const stop = Math.min(hi, k + CHECK_EVERY);
        for (; k < stop; k++) {
          // Ties take the left run's element first: stable.
          if (i < mid && (j >= hi || compare(src[j] as T, src[i] as T) >= 0)) dst[k] = src[i++] as T;
          else dst[k] = src[j++] as T;
        }
        await maybePause();
      }
    }
    [src, dst] = [dst, src];
  }
  if (src !== items) for (let i = 0; i < n; i++) items[i] = src[i] as T;
  return items;
}
