/**
 * Keyset pages of sorted reads from a kept sort order: the pages together are exactly the sorted read,
 * the order is reused while nothing changes and recomputed after any write, and a page after a row that
 * was deleted meanwhile continues where that row sorted. Real embedded document on a real SQLite file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GristRecord } from '../backend/types.js';
import { EmbeddedDocument } from './document.js';
import { SortedOrderCache } from './sorted-pages.js';
import type { Store } from './store.js';

let dir: string;
let doc: EmbeddedDocument;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sorted-pages-'));
  doc = EmbeddedDocument.create(path.join(dir, 'doc.grist'));
  await doc.createTables([{ id: 'T', columns: [{ id: 'Name', fields: { type: 'Text' } }, { id: 'Score', fields: { type: 'Numeric' } }] }]);
  await doc.createTables([{ id: 'Other', columns: [{ id: 'Name', fields: { type: 'Text' } }] }]);
  const names = ['pear', 'Apple', 'fig', 'apple', 'kiwi', '', 'Banana', 'date', 'fig', 'plum', 'Cherry', 'lime', 'mango'];
  await doc.addRecords('T', names.map((Name, i) => ({ fields: { Name, Score: (i * 7) % 5 } })));
});
afterAll(async () => {
  await doc.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Pages through `sort` with `limit`, optionally running `between` after the first page. */
async function pageAll(sort: string, limit: number, between?: (page: number, last: GristRecord) => Promise<void>): Promise<number[]> {
  const ids: number[] = [];
  let after: { id: number; values: (string | number | null)[] } | undefined;
  const keys = sort.split(',').map((k) => k.replace(/^-/, '').split(':')[0] as string);
  for (let page = 0; page < 100; page++) {
    const result = await doc.getSortedPage('T', { sort, limit, ...(after ? { after } : {}) });
    ids.push(...result.records.map((r) => r.id));
    const last = result.records.at(-1);
    if (!result.more || !last) return ids;
    after = { id: last.id, values: keys.map((k) => last.fields[k] as string | number | null) };
    await between?.(page, last);
  }
  throw new Error('too many pages');
}

describe('sorted pages from a kept order', () => {
  it('pages together equal the whole sorted read, for several sorts and page sizes', async () => {
    for (const sort of ['Name', '-Name', 'Score,-Name', '-Score,Name:naturalSort', 'Name:emptyLast']) {
      const whole = (await doc.getRecords('T', { sort })).map((r) => r.id);
      for (const limit of [1, 3, 5, 20]) expect(await pageAll(sort, limit), `${sort} / ${limit}`).toEqual(whole);
    }
  });

  it('keeps the order while nothing changes and recomputes it after a write', async () => {
    const cache = (doc as unknown as { sortedOrders: { ids: (...a: unknown[]) => number[] } }).sortedOrders;
    const store = (doc as unknown as { store: unknown }).store;
    const table = (store as { resolve: (t: string) => unknown }).resolve('T');
    const first = cache.ids(store, table, { sort: '-Score', limit: 2 });
    expect(cache.ids(store, table, { sort: '-Score', limit: 2 })).toBe(first);
    await doc.addRecords('T', [{ fields: { Name: 'new', Score: 99 } }]);
    const second = cache.ids(store, table, { sort: '-Score', limit: 2 });
    expect(second).not.toBe(first);
    expect(second[0]).toBe(first.length + 1);
  });

  it('a row added between pages appears where it sorts; a deleted cursor row does not lose the place', async () => {
    const added: number[] = [];
    const ids = await pageAll('Name', 3, async (page, last) => {
      if (page === 0) added.push(...(await doc.addRecords('T', [{ fields: { Name: 'zzz', Score: 0 } }])));
      if (page === 1) await doc.deleteRecords('T', [last.id]);
    });
    const whole = (await doc.getRecords('T', { sort: 'Name' })).map((r) => r.id);
    expect(ids).toContain(added[0]);
    // Every row still present was returned exactly once, in order.
    expect(ids.filter((id) => whole.includes(id))).toEqual(whole);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps the order of a table across writes to other tables, and drops it on any write to its own', async () => {
    const cache = (doc as unknown as { sortedOrders: SortedOrderCache }).sortedOrders;
    const store = (doc as unknown as { store: Store }).store;
    const ids = () => store.read(() => cache.ids(store, store.resolve('T'), { sort: 'Name', limit: 2 }));
    const first = ids();
    await doc.addRecords('Other', [{ fields: { Name: 'elsewhere' } }]);
    await doc.updateRecords('Other', [{ id: 1, fields: { Name: 'changed' } }]);
    expect(ids()).toBe(first);
    await doc.updateRecords('T', [{ id: first[0] as number, fields: { Name: 'zzzz' } }]);
    const second = ids();
    expect(second).not.toBe(first);
    expect(second.at(-1)).toBe(first[0]);
    await doc.deleteRecords('T', [second.at(-1) as number]);
    expect(ids()).not.toContain(first[0]);
  });

  it('builds an order in slices that equals the one-step order, and restarts when the table changes midway', async () => {
    const store = (doc as unknown as { store: Store }).store;
    const oneStep = (sort: string) => store.read(() => new SortedOrderCache(8, 1_000_000).ids(store, store.resolve('T'), { sort, limit: 1 }));
    for (const sort of ['Name', '-Score,Name', 'Name:naturalSort']) {
      const cache = new SortedOrderCache(8, 2);
      await cache.prepare(store, 'T', { sort, limit: 1 });
      expect(store.read(() => cache.ids(store, store.resolve('T'), { sort, limit: 1 })), sort).toEqual(oneStep(sort));
    }
    const cache = new SortedOrderCache(8, 2);
    const building = cache.prepare(store, 'T', { sort: 'Name', limit: 1 });
    // A write lands between two slices of the build: the order cached must include it.
    const [added] = await doc.addRecords('T', [{ fields: { Name: '!first', Score: 1 } }]);
    await building;
    const kept = store.read(() => cache.ids(store, store.resolve('T'), { sort: 'Name', limit: 1 }));
    expect(kept).toEqual(oneStep('Name'));
    expect(kept).toContain(added);
  });

  it('an unknown sort column fails as the one-step read does', async () => {
    await expect(doc.getSortedPage('T', { sort: 'Nope', limit: 2 })).rejects.toThrow(/unknown key Nope/);
  });
});
