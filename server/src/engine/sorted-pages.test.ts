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

let dir: string;
let doc: EmbeddedDocument;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sorted-pages-'));
  doc = EmbeddedDocument.create(path.join(dir, 'doc.grist'));
  await doc.createTables([{ id: 'T', columns: [{ id: 'Name', fields: { type: 'Text' } }, { id: 'Score', fields: { type: 'Numeric' } }] }]);
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
});
