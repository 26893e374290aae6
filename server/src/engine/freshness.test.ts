/**
 * Several connections on one document file (a `serve` and a stdio `mcp` process on one config, or two
 * document names for one file): a structure change made through one is seen by the others before their
 * next read or write, so they never answer with a stale structure (`no such column`, `no column named`).
 * Two EmbeddedDocument instances here are two SQLite connections, exactly as two processes would be.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { GristError } from '../backend/errors.js';
import { EmbeddedDocument } from './document.js';
import { caughtGristError as errorOf } from '../../test/conformance/suite.js';

const open: EmbeddedDocument[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
});

/** Two connections on one new document file. */
function twoConnections(): [EmbeddedDocument, EmbeddedDocument] {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'engine-fresh-')), 'doc.grist');
  const a = EmbeddedDocument.create(file);
  const b = EmbeddedDocument.open(file);
  open.push(a, b);
  return [a, b];
}


describe('structure changes through another connection', () => {
  test('a new table and a new column are readable and writable at once', async () => {
    const [a, b] = twoConnections();
    expect((await b.listTables()).map((t) => t.id)).toEqual(['Table1']);
    await a.createTables([{ id: 'Orders', columns: [{ id: 'Item', fields: { type: 'Text' } }] }]);
    expect((await b.listTables()).map((t) => t.id)).toEqual(['Table1', 'Orders']);
    await b.addRecords('Orders', [{ fields: { Item: 'pen' } }]);

    await a.addColumns('Orders', [{ id: 'Qty', fields: { type: 'Int' } }]);
    // Before the fix: 502 "no column named Qty" / "Invalid column" from the stale cache.
    const [id] = await b.addRecords('Orders', [{ fields: { Item: 'ink', Qty: 3 } }]);
    expect(await b.getRecords('Orders')).toEqual([
      { id: 1, fields: { Item: 'pen', Qty: 0 } },
      { id, fields: { Item: 'ink', Qty: 3 } },
    ]);
    expect((await b.listColumns('Orders')).map((c) => c.id)).toEqual(['Item', 'Qty']);
    expect(b.resolveTableId('Orders')).toBe('Orders');
  });

  test('a removed column or table is reported as missing, not as an internal error', async () => {
    const [a, b] = twoConnections();
    await a.createTables([{ id: 'T', columns: [{ id: 'X', fields: { type: 'Int' } }, { id: 'Y', fields: { type: 'Text' } }] }]);
    await b.addRecords('T', [{ fields: { X: 1, Y: 'a' } }]);
    await a.deleteColumn('T', 'Y');
    // Before the fix: 500 "no such column: Y" on read.
    expect(await b.getRecords('T')).toEqual([{ id: 1, fields: { X: 1 } }]);
    const write = await errorOf(b.updateRecords('T', [{ id: 1, fields: { Y: 'b' } }]));
    expect(write.status).toBe(400);
    expect(write.message).toContain('Y');
    await a.removeTable('T');
    expect((await errorOf(b.getRecords('T'))).status).toBe(404);
  });

  test('a metadata-only change (column type) and a rename are seen too', async () => {
    const [a, b] = twoConnections();
    await a.createTables([{ id: 'T', columns: [{ id: 'N', fields: { type: 'Text' } }] }]);
    await b.addRecords('T', [{ fields: { N: '42' } }]);
    await a.modifyColumns('T', [{ id: 'N', fields: { type: 'Numeric' } }]);
    expect((await b.listColumns('T'))[0]?.fields.type).toBe('Numeric');
    expect(await b.getRecords('T')).toEqual([{ id: 1, fields: { N: 42 } }]);
    await a.renameTable('T', 'U');
    expect((await b.listTables()).map((t) => t.id)).toEqual(['Table1', 'U']);
    expect(await b.getRecords('U')).toHaveLength(1);
  });

  test('changes go both ways, and data writes elsewhere are seen without a structure reload', async () => {
    const [a, b] = twoConnections();
    await b.addColumns('Table1', [{ id: 'D', fields: { type: 'Text' } }]);
    await a.addRecords('Table1', [{ fields: { D: 'from a' } }]);
    await b.addRecords('Table1', [{ fields: { D: 'from b' } }]);
    expect((await a.getRecords('Table1')).map((r) => r.fields.D)).toEqual(['from a', 'from b']);
    expect((await b.getRecords('Table1')).map((r) => r.fields.D)).toEqual(['from a', 'from b']);
  });
});
