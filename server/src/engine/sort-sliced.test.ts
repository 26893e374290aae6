/** The sliced merge sort gives exactly what a stable Array.prototype.sort gives, pausing as it goes. */
import { describe, expect, it } from 'vitest';
import { sortSliced } from './sort-sliced.js';

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

describe('sortSliced', () => {
  it('equals a stable Array.prototype.sort on sizes around its run length, with many ties', async () => {
    const next = random(7);
    for (const n of [0, 1, 2, 100, 2047, 2048, 2049, 4096, 5000, 20_000]) {
      const items = Array.from({ length: n }, (_, i) => ({ key: Math.floor(next() * 50), at: i }));
      const compare = (a: { key: number }, b: { key: number }) => a.key - b.key;
      const expected = [...items].sort(compare);
      let pauses = 0;
      const got = await sortSliced([...items], compare, { sliceMs: 0, pause: async () => void pauses++ });
      expect(got, `n = ${n}`).toEqual(expected);
      if (n > 2048) expect(pauses).toBeGreaterThan(1);
    }
  });

  it('sorts in place and lets other work run between slices', async () => {
    const items = Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 50_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const sorted = await sortSliced(items, (a, b) => a - b, { sliceMs: 1 });
    clearInterval(timer);
    expect(sorted).toBe(items);
    expect(items.every((v, i) => v === i)).toBe(true);
    expect(ticks).toBeGreaterThan(0);
  });
});
