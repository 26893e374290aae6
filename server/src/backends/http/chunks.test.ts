import { describe, expect, it } from 'vitest';
import { ChunkStream, itemJson, jsonSurelyLongerThan, splitChunk, type Chunk } from './chunks.js';

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

  it('never claims more than a number really takes, at every digit boundary', () => {
    const numbers = [0, -0, 1, -1, 0.1, -0.1, 1e-7, -1e-7, 5e-324, 9, 10, 99, 100, 999, 1000, 9999, 10_000, 99_999, 100_000, 999_999, 1e6, 1e9 - 1, 1e9, 2 ** 53, 1e21 - 65536, 1e21, -1e21, 1.5e300, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 12.5, 1_700_000_000.25];
    let state = 7;
    for (let i = 0; i < 2000; i++) {
      state = (state * 1103515245 + 12345) % 2147483648;
      numbers.push((state / 2147483648 - 0.5) * 10 ** ((i % 30) - 8), Math.round(state / 2 ** (i % 31)));
    }
    for (const n of numbers) {
      for (const item of [n, [n], { fields: { A: n } }, { fields: { A: [n, 'x'] } }]) {
        const bytes = Buffer.byteLength(JSON.stringify(item)) + 1;
        expect(jsonSurelyLongerThan([item], bytes), JSON.stringify(item)).toBe(false);
      }
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
    expect(chunks.map((c) => `[${c.text}]`).flatMap((t) => JSON.parse(t) as unknown[])).toEqual(JSON.parse(JSON.stringify(items)));
  });

  it('goes back to the full budget after the first chunk', () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ fields: { Name: `item ${i}`, Qty: i } }));
    const sizes = all(new ChunkStream(items, items.map((_, i) => i), 50_000, 4000, 1000)).map((c) => c.bytes);
    expect(sizes[0]).toBeLessThanOrEqual(1000);
    expect(sizes[0]).toBeGreaterThan(900);
    expect(Math.min(...sizes.slice(1, -1))).toBeGreaterThan(3900);
  });

  it('sizes chunks exactly in UTF-8 bytes, fills each one up to the next item that does not fit, keeps the row cap', () => {
    const size = (item: unknown) => Buffer.byteLength(JSON.stringify(item)) + 1;
    for (let seed = 1; seed <= 40; seed++) {
      // Mostly non-ASCII text in some seeds (2-4 bytes a character), plain rows in others.
      const wide = seed % 2 === 0;
      const items = generated(seed, 200 + seed * 37).map((item, i) => (wide ? { fields: { ...item.fields, W: '€😀ü'.repeat(i % 9) } } : item));
      const maxBytes = 500 + seed * 211;
      const maxRows = seed % 3 === 0 ? 7 : 50_000;
      const first = seed % 4 === 0 ? 300 : maxBytes;
      const chunks = all(new ChunkStream(items, undefined, maxRows, maxBytes, first));
      expect(chunks.flatMap((c) => c.indexes)).toEqual(items.map((_, i) => i));
      chunks.forEach((chunk, k) => {
        const budget = k === 0 ? first : maxBytes;
        expect(chunk.bytes).toBe(Buffer.byteLength(chunk.text) + 1);
        expect(JSON.parse(`[${chunk.text}]`)).toEqual(chunk.indexes.map((i) => JSON.parse(JSON.stringify(items[i]))));
        if (chunk.indexes.length > 1) expect(chunk.bytes).toBeLessThanOrEqual(budget);
        const next = chunks[k + 1]?.indexes[0];
        if (next !== undefined && chunk.indexes.length < maxRows) expect(chunk.bytes + size(items[next])).toBeGreaterThan(budget);
        expect(chunk.indexes.length).toBeLessThanOrEqual(maxRows);
      });
    }
  });

  it('chunks a subset of the items given by index, and an item larger than the budget goes alone', () => {
    const items = Array.from({ length: 300 }, (_, i) => ({ id: i, fields: { T: i === 150 ? 'x'.repeat(5000) : `row ${i}` } }));
    const subset = items.map((_, i) => i).filter((i) => i % 3 !== 1);
    const chunks = all(new ChunkStream(items, subset, 50_000, 1000));
    expect(chunks.flatMap((c) => c.indexes)).toEqual(subset);
    const big = chunks.find((c) => c.indexes.includes(150));
    expect(big?.indexes).toEqual([150]);
    for (const chunk of chunks) expect(JSON.parse(`[${chunk.text}]`)).toEqual(chunk.indexes.map((i) => items[i]));
  });

  it('splits a streamed chunk (built in blocks) into exact halves item by item', () => {
    const items = generated(11, 400);
    const [chunk] = all(new ChunkStream(items, undefined, 50_000, 1_000_000));
    expect(chunk?.indexes.length).toBe(400);
    const halves = splitChunk(chunk!, 1_000_000);
    expect(halves.length).toBeGreaterThanOrEqual(2);
    expect(halves.flatMap((h) => h.indexes)).toEqual(chunk!.indexes);
    for (const half of halves) {
      expect(half.bytes).toBe(Buffer.byteLength(half.text) + 1);
      expect(half.bytes).toBeLessThanOrEqual(Math.ceil(chunk!.bytes / 2) + 200);
      expect(itemJson(half)).toEqual(half.indexes.map((i) => JSON.stringify(items[i])));
    }
    expect(halves.map((h) => h.text).join(',')).toBe(chunk!.text);
  });
});
