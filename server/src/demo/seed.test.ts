import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDocument } from '../engine/index.js';
import { pythonLoadMs } from '../engine/formulas/runtime.js';
import { seedDemoDocument } from './seed.js';

// The demo has formula columns: Python loads once per process, outside a test's time limit.
beforeAll(async () => { await pythonLoadMs(); }, 180_000);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('seedDemoDocument', () => {
  it('creates related tables with rows once, and leaves a seeded document alone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-seed-'));
    dirs.push(dir);
    const doc = EmbeddedDocument.create(path.join(dir, 'demo.grist'));
    try {
      expect(await seedDemoDocument(doc)).toEqual({ created: true });
      expect((await doc.listTables()).map((t) => t.id)).toEqual(['Customers', 'Products', 'Orders']);
      const orders = await doc.getRecords('Orders');
      expect(orders).toHaveLength(5);
      const customers = new Set((await doc.getRecords('Customers')).map((r) => r.id));
      for (const order of orders) expect(customers.has(order.fields.Customer as number)).toBe(true);
      const joined = await doc.sql('SELECT COUNT(*) AS n FROM Orders o JOIN Customers c ON c.id = o.Customer');
      expect(joined.records).toEqual([{ fields: { n: 5 } }]);
      // Formula columns: computed from the data, stored, and following a change of a price.
      expect(orders.map((o) => o.fields.Total)).toEqual([129, 245, 179, 450, 387]);
      const spent = async (): Promise<unknown[]> => (await doc.getRecords('Customers')).map((c) => c.fields.Spent);
      expect(await spent()).toEqual([374, 179, 450, 0]);
      await doc.updateRecords('Products', [{ id: 3, fields: { Price: 50 } }]);
      expect(await spent()).toEqual([379, 179, 450, 0]);
      expect(await seedDemoDocument(doc)).toEqual({ created: false });
      expect(await doc.getRecords('Orders')).toHaveLength(5);
    } finally {
      await doc.close();
    }
  });
});
