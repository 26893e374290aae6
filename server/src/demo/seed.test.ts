import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedDocument } from '../engine/index.js';
import { seedDemoDocument } from './seed.js';

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
      expect(await seedDemoDocument(doc)).toEqual({ created: false });
      expect(await doc.getRecords('Orders')).toHaveLength(5);
    } finally {
      await doc.close();
    }
  });
});
