import { describe, expect, it } from 'vitest';
import { ChunkStream, jsonSurelyLongerThan, type Chunk } from './chunks.js';

const cells = [null, true, false, 0, -3, 1.25, 1e21, Number.NaN, '', 'x', '"', '\\', 'ü', '☃', '\u0001', ['L', 'a', 'b'], ['R', 'T', 1]];

function generated(seed: number, n: number): { fields: Record<string, unknown> }[] {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: n }, () => ({
    fields: Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, (_, k) => [`c${k}\u00e9`.slice(0, 2 + (k % 3)), cells[Math.floor(next() * cells.length)]])),
  }));
}

function all(stream: ChunkStream<unknown>): Chunk[] {
  const out: Chunk[] = [];
  for (let chunk = stream.next(); chunk; chunk = stream.next()) out.push(chunk);
  return out;
}

describe('jsonSurelyLongerThan', () => {
  it('never claims more than the JSON really takes', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const items = generated(seed, 1 + (seed % 20));
      const bytes = Buffer.byteLength(items.map((i) => JSON.stringify(i)).join(',')) + 1;
      expect(jsonSurelyLongerThan(items, bytes)).toBe(false);
    }
  });

  it('sees a large write', () => {
    expect(jsonSurelyLongerThan(generated(7, 2000), 1000)).toBe(true);
  });
});

describe('ChunkStream', () => {
  it('keeps the first chunk within its own budget and the others within theirs, every item once in order', () => {
    const items = generated(3, 3000);
    const chunks = all(new ChunkStream(items, items.map((_, i) => i), 50_000, 4000, 1000));
    expect(chunks[0]!.bytes).toBeLessThanOrEqual(1000);
    for (const chunk of chunks) expect(chunk.bytes).toBeLessThanOrEqual(4000);
    expect(chunks.flatMap((c) => c.indexes)).toEqual(items.map((_, i) => i));
    expect(chunks.map((c) => `[${c.text ?? c.json.join(',')}]`).flatMap((t) => JSON.parse(t) as unknown[])).toEqual(JSON.parse(JSON.stringify(items)));
  });

  it('goes back to the full budget after the first chunk', () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ fields: { Name: `item ${i}`, Qty: i } }));
    const sizes = all(new ChunkStream(items, items.map((_, i) => i), 50_000, 4000, 1000)).map((c) => c.bytes);
    expect(sizes[0]).toBeLessThanOrEqual(1000);
    expect(sizes[0]).toBeGreaterThan(900);
    expect(Math.min(...sizes.slice(1, -1))).toBeGreaterThan(3900);
  });
});
