import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { GristError } from '../backend/errors.js';
import type { GristRecord } from '../backend/types.js';
import { EmbeddedDocument } from './document.js';
import { pythonLoadMs } from './formulas/runtime.js';

// Formulas load Python once per process (seconds on a busy machine): not inside a test's time limit.
beforeAll(async () => { await pythonLoadMs(); }, 180_000);

let doc: EmbeddedDocument;
beforeEach(async () => {
  doc = EmbeddedDocument.create(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'engine-rec-')), 'doc.grist'));
  await doc.createTables([
    { id: 'People', columns: [{ id: 'Name', fields: { type: 'Text' } }] },
    { id: 'Items', columns: [
      { id: 'Name', fields: { type: 'Text' } }, { id: 'Price', fields: { type: 'Numeric' } }, { id: 'Qty', fields: { type: 'Int' } },
      { id: 'Active', fields: { type: 'Bool' } }, { id: 'Owner', fields: { type: 'Ref:People' } },
      { id: 'Fans', fields: { type: 'RefList:People' } }, { id: 'Code', fields: { type: 'Text' } },
      { id: 'Double', fields: { type: 'Numeric', isFormula: true, formula: '$Price * 2' } },
    ] },
  ]);
});
afterEach(async () => { await doc.close(); });

async function errorOf(p: Promise<unknown>): Promise<GristError> {
  try { await p; } catch (err) { expect(err).toBeInstanceOf(GristError); return err as GristError; }
  throw new Error('expected a GristError');
}
const ids = (rs: GristRecord[]): number[] => rs.map((r) => r.id);

async function seed(): Promise<void> {
  await doc.addRecords('People', [{ fields: { Name: 'Ann' } }, { fields: { Name: 'Bob' } }]);
  await doc.addRecords('Items', [
    { fields: { Name: 'hammer', Price: 12.5, Qty: 3, Active: true, Owner: 2, Code: 'item10' } },
    { fields: { Name: 'ball', Price: 3, Qty: 0, Active: false, Owner: 1, Code: 'item2', Fans: ['L', 1, 2] } },
    { fields: { Name: 'Saw', Price: 25, Qty: 1, Active: true, Owner: 0, Code: 'Item20' } },
    { fields: { Name: 'kite', Price: 12.5, Qty: 2, Active: false, Owner: 2, Code: 'item3' } },
  ]);
}

describe('add and read', () => {
  test('ids are max+1 and reused after deleting the highest; manualSort follows', async () => {
    expect(await doc.addRecords('People', [{}, { fields: {} }, { fields: { Name: 'x' } }])).toEqual([1, 2, 3]);
    await doc.deleteRecords('People', [3]);
    expect(await doc.addRecords('People', [{ fields: { Name: 'y' } }])).toEqual([3]);
    const rows = await doc.getRecords('People', { hidden: true });
    expect(rows.map((r) => r.fields.manualSort)).toEqual([1, 2, 3]);
  });

  test('defaults, null for fields named by another record, and missingAsDefault', async () => {
    await doc.addRecords('Items', [{ fields: { Name: 'a', Qty: 5 } }, { fields: { Price: 2 } }]);
    await doc.addRecords('Items', [{ fields: { Name: 'c', Qty: 5 } }, { fields: { Price: 2 } }], { missingAsDefault: true });
    const rows = await doc.getRecords('Items');
    expect(rows.map((r) => [r.fields.Name, r.fields.Price, r.fields.Qty, r.fields.Active, r.fields.Owner])).toEqual([
      ['a', null, 5, false, 0], [null, 2, null, false, 0], ['c', 0, 5, false, 0], ['', 2, 0, false, 0],
    ]);
  });

  test('formula columns hold their computed values; writes to them are refused', async () => {
    await doc.addRecords('Items', [{ fields: { Name: 'a', Price: 2 } }]);
    const [rec] = await doc.getRecords('Items');
    expect(rec?.fields.Double).toBe(4);
    expect(rec?.errors).toBeUndefined();
    const raw = await doc.getRecordsRaw('Items');
    expect(raw[0]?.fields.Double).toBe(4);
    const err = await errorOf(doc.addRecords('Items', [{ fields: { Double: 1 } }]));
    expect([err.status, err.message]).toEqual([400, "Error manipulating data: [Sandbox] ValueError Can't save value to formula column Double"]);
  });

  test('unknown columns: first one in request order; id in fields; nothing written', async () => {
    const err = await errorOf(doc.addRecords('Items', [{ fields: { Name: 'ok', Nope: 1 } }, { fields: { Other: 2 } }]));
    expect([err.status, err.message, err.extra?.column]).toEqual([400, 'Invalid column "Nope"', 'Nope']);
    expect((await errorOf(doc.addRecords('Items', [{ fields: { id: 5 } }]))).message).toBe('Invalid column "id"');
    expect((await errorOf(doc.addRecords('Nope', [{}]))).message).toBe('Table not found "Nope"');
    expect(await doc.getRecords('Items')).toEqual([]);
  });

  test('a write failing partway leaves the table unchanged', async () => {
    await doc.addRecords('Items', [{ fields: { Name: 'keep' } }]);
    const err = await errorOf(doc.addRecords('Items', [{ fields: { Name: 'a' } }, { fields: { Name: { bad: 1 } as never } }]));
    expect([err.status, err.extra?.column]).toEqual([400, 'Name']);
    expect((await doc.getRecords('Items')).map((r) => r.fields.Name)).toEqual(['keep']);
    const upd = await errorOf(doc.updateRecords('Items', [{ id: 1, fields: { Name: 'changed' } }, { id: 1, fields: { Name: ['x'] as never } }]));
    expect(upd.status).toBe(400);
    expect((await doc.getRecords('Items')).map((r) => r.fields.Name)).toEqual(['keep']);
    expect(await doc.addRecords('Items', [{}])).toEqual([2]);
  });

  test('sql() sees committed data through its own read-only connection', async () => {
    await doc.addRecords('People', [{ fields: { Name: 'Ann' } }]);
    const res = await doc.sql('SELECT id, Name FROM People');
    expect(res.records).toEqual([{ fields: { id: 1, Name: 'Ann' } }]);
  });

  test('Ref with visibleCol looks strings up (03 add-with-owner-name)', async () => {
    await seed();
    const nameRef = (await doc.listColumns('People')).find((c) => c.id === 'Name')?.fields.colRef;
    await doc.modifyColumns('Items', [{ id: 'Owner', fields: { visibleCol: nameRef } }]);
    const [id] = await doc.addRecords('Items', [{ fields: { Name: 'new', Owner: 'Bob' } }, { fields: { Name: 'x', Owner: 'Nobody' } }]);
    const rows = await doc.getRecords('Items', { filter: { id: [id ?? 0, (id ?? 0) + 1] } });
    expect(rows.map((r) => r.fields.Owner)).toEqual([2, 'Nobody']);
  });
});

describe('filter, sort, limit', () => {
  beforeEach(seed);

  test('filter: AND across columns, OR within, exact values, [] and {}', async () => {
    expect(ids(await doc.getRecords('Items', { filter: { Price: [12.5] } }))).toEqual([1, 4]);
    expect(ids(await doc.getRecords('Items', { filter: { Price: [12.5], Active: [false] } }))).toEqual([4]);
    expect(ids(await doc.getRecords('Items', { filter: { Name: ['ball', 'Saw'] } }))).toEqual([2, 3]);
    expect(ids(await doc.getRecords('Items', { filter: { Price: ['12.5'] } }))).toEqual([]);
    expect(ids(await doc.getRecords('Items', { filter: { Name: ['saw'] } }))).toEqual([]);
    expect(ids(await doc.getRecords('Items', { filter: { Owner: [0] } }))).toEqual([3]);
    expect(ids(await doc.getRecords('Items', { filter: { id: [2, 99] } }))).toEqual([2]);
    expect(ids(await doc.getRecords('Items', { filter: { Fans: [['L', 1, 2]] } }))).toEqual([]);
    expect(ids(await doc.getRecords('Items', { filter: { Name: [] } }))).toEqual([]);
    expect(ids(await doc.getRecords('Items', { filter: {} }))).toEqual([1, 2, 3, 4]);
    const err = await errorOf(doc.getRecords('Items', { filter: { Nope: [1] } }));
    expect([err.status, err.message]).toEqual([400, "Error manipulating data: [Sandbox] KeyError 'Nope'"]);
    const scalar = await errorOf(doc.getRecords('Items', { filter: { Name: 'x' } as never }));
    expect([scalar.status, scalar.message]).toEqual([400, 'Invalid query: filter values must be arrays']);
  });

  test('sort: descending, case-insensitive text, natural, colRef keys, tie-break, errors', async () => {
    expect(ids(await doc.getRecords('Items', { sort: 'Name' }))).toEqual([2, 1, 4, 3]);
    expect(ids(await doc.getRecords('Items', { sort: ['-Price', 'Name'] }))).toEqual([3, 1, 4, 2]);
    expect(ids(await doc.getRecords('Items', { sort: 'Code:naturalSort' }))).toEqual([2, 4, 1, 3]);
    expect(ids(await doc.getRecords('Items', { sort: '-id' }))).toEqual([4, 3, 2, 1]);
    const priceRef = (await doc.listColumns('Items')).find((c) => c.id === 'Price')?.fields.colRef;
    expect(ids(await doc.getRecords('Items', { sort: `-${priceRef}` }))).toEqual([3, 1, 4, 2]);
    // Ties on Price keep manualSort order, not id order.
    await doc.updateRecords('Items', [{ id: 1, fields: { manualSort: 10 } }]);
    expect(ids(await doc.getRecords('Items', { sort: 'Price' }))).toEqual([2, 4, 1, 3]);
    const unknown = await errorOf(doc.getRecords('Items', { sort: 'Nope' }));
    expect([unknown.status, unknown.message]).toEqual([500, 'unknown key Nope']);
    expect((await errorOf(doc.getRecords('Items', { sort: 'Name, Price' }))).message).toBe('unknown key  Price');
    expect((await errorOf(doc.getRecords('Items', { sort: '9999' }))).message).toBe('invalid column id 9999');
  });

  test('limit: positive, zero, negative, after sort', async () => {
    expect(ids(await doc.getRecords('Items', { limit: 2 }))).toEqual([1, 2]);
    expect(ids(await doc.getRecords('Items', { limit: 0 }))).toEqual([1, 2, 3, 4]);
    expect(ids(await doc.getRecords('Items', { limit: -3 }))).toEqual([1]);
    expect(ids(await doc.getRecords('Items', { limit: 99 }))).toEqual([1, 2, 3, 4]);
    expect(ids(await doc.getRecords('Items', { sort: '-Price', limit: 1 }))).toEqual([3]);
    expect(ids(await doc.getRecords('Items', { afterId: 2, limit: 1 }))).toEqual([3]);
  });

  test('hidden shows manualSort first; records by tableRef', async () => {
    const [rec] = await doc.getRecords('Items', { hidden: true, limit: 1 });
    expect(Object.keys(rec?.fields ?? {})[0]).toBe('manualSort');
    expect(Object.keys((await doc.getRecords('2', { limit: 1 }))[0]?.fields ?? {})).not.toContain('manualSort');
  });

  test('iterateRecords yields the same records as getRecords, with and without sort', async () => {
    const many = Array.from({ length: 2500 }, (_, i) => ({ fields: { Name: `n${i % 7}`, Qty: i } }));
    await doc.addRecords('Items', many);
    for (const options of [{}, { sort: ['-Name', 'Qty'] }, { filter: { Name: ['n3'] }, limit: 100 }, { limit: -2400 },
      { sort: 'Name', filter: { Name: ['n1', 'n2'] }, limit: 500 }]) {
      const batches: GristRecord[][] = [];
      for await (const b of doc.iterateRecords('Items', options)) { batches.push(b); }
      expect(batches.every((b) => b.length <= 1000)).toBe(true);
      expect(batches.flat()).toEqual(await doc.getRecords('Items', options));
    }
  });
});

describe('update and delete', () => {
  beforeEach(seed);

  test('same-key rule, invalid row ids (incl. 0) and atomicity', async () => {
    const diff = await errorOf(doc.updateRecords('Items', [{ id: 1, fields: { Name: 'x' } }, { id: 2, fields: { Qty: 1 } }]));
    expect([diff.status, diff.message]).toEqual([400, 'PATCH requires all records to have same fields']);
    const bad = await errorOf(doc.updateRecords('Items', [{ id: 1, fields: { Name: 'changed' } }, { id: 999, fields: { Name: 'y' } }]));
    expect([bad.status, bad.message]).toEqual([400, 'Invalid row id 999']);
    expect((await errorOf(doc.updateRecords('Items', [{ id: 0, fields: { Name: 'y' } }]))).message).toBe('Invalid row id 0');
    expect((await doc.getRecords('Items', { filter: { id: [1] } }))[0]?.fields.Name).toBe('hammer');
    await doc.updateRecords('Items', [{ id: 1, fields: { Name: 'first', Qty: '7' } }, { id: 1, fields: { Qty: 8, Name: 'second' } }]);
    expect((await doc.getRecords('Items', { filter: { id: [1] } }))[0]?.fields).toMatchObject({ Name: 'second', Qty: 8 });
    await doc.updateRecords('Items', [{ id: 2, fields: {} }]);
    const formula = await errorOf(doc.updateRecords('Items', [{ id: 1, fields: { Double: 1 } }]));
    expect(formula.message).toBe("Error manipulating data: [Sandbox] ValueError Can't save value to formula column Double");
    expect((await errorOf(doc.updateRecords('Items', [{ id: 1, fields: { Nope: 1 } }]))).message).toBe('Invalid column "Nope"');
  });

  test('delete ignores missing ids and resets references (03 refs-after-owner-delete)', async () => {
    await doc.deleteRecords('Items', [4, 998, 4]);
    expect(ids(await doc.getRecords('Items'))).toEqual([1, 2, 3]);
    await doc.deleteRecords('People', [2]);
    const rows = await doc.getRecords('Items');
    expect(rows.map((r) => r.fields.Owner)).toEqual([0, 1, 0]);
    expect(rows[1]?.fields.Fans).toEqual(['L', 1]);
    await doc.deleteRecords('Items', []);
  });
});

describe('upsert', () => {
  beforeEach(seed);

  test('match updates, no match adds require + fields, require-only reports the update', async () => {
    expect(await doc.upsertRecords('Items', [{ require: { Name: 'ball' }, fields: { Qty: 9 } }])).toEqual(
      { recordIds: [[2]], addRecordIds: [], updateRecordIds: [[2]] });
    expect(await doc.upsertRecords('Items', [{ require: { Name: 'drill' }, fields: { Qty: 1 } }])).toEqual(
      { recordIds: [[5]], addRecordIds: [5], updateRecordIds: [] });
    expect((await doc.getRecords('Items', { filter: { id: [5] } }))[0]?.fields).toMatchObject({ Name: 'drill', Qty: 1 });
    expect(await doc.upsertRecords('Items', [{ require: { Name: 'Saw' } }])).toEqual({ recordIds: [[3]], addRecordIds: [], updateRecordIds: [[3]] });
    // Parsed require values match (04 put-require-parse).
    expect((await doc.upsertRecords('Items', [{ require: { Qty: '9' }, fields: { Code: 'q' } }])).recordIds).toEqual([[2]]);
    // A fields value for a require column wins on add.
    const res = await doc.upsertRecords('Items', [{ require: { Name: 'kite2' }, fields: { Name: 'kite3' } }]);
    expect((await doc.getRecords('Items', { filter: { id: res.addRecordIds } }))[0]?.fields.Name).toBe('kite3');
  });

  test('require by id creates that id; later ids continue after it', async () => {
    expect(await doc.upsertRecords('Items', [{ require: { id: 555 }, fields: { Name: 'ghost' } }])).toEqual(
      { recordIds: [[555]], addRecordIds: [555], updateRecordIds: [] });
    expect(await doc.addRecords('Items', [{}])).toEqual([556]);
    expect((await doc.upsertRecords('Items', [{ require: { id: 1 }, fields: { Name: 'one' } }])).updateRecordIds).toEqual([[1]]);
  });

  test('onmany, noadd, noupdate, empty require', async () => {
    await doc.addRecords('Items', [{ fields: { Name: 'dup' } }, { fields: { Name: 'dup' } }]);
    expect(await doc.upsertRecords('Items', [{ require: { Name: 'dup' }, fields: { Qty: 70 } }], { onmany: 'none' })).toEqual(
      { recordIds: [[]], addRecordIds: [], updateRecordIds: [] });
    expect((await doc.upsertRecords('Items', [{ require: { Name: 'dup' }, fields: { Qty: 1 } }])).recordIds).toEqual([[5]]);
    expect((await doc.upsertRecords('Items', [{ require: { Name: 'dup' }, fields: { Qty: 2 } }], { onmany: 'all' })).recordIds).toEqual([[5, 6]]);
    expect(await doc.upsertRecords('Items', [{ require: { Name: 'NEW1' }, fields: { Qty: 1 } }], { noadd: true })).toEqual(
      { recordIds: [[]], addRecordIds: [], updateRecordIds: [] });
    expect(await doc.upsertRecords('Items', [{ require: { Name: 'ball' }, fields: { Qty: 1 } }], { noupdate: true })).toEqual(
      { recordIds: [[]], addRecordIds: [], updateRecordIds: [] });
    const empty = await errorOf(doc.upsertRecords('Items', [{ require: {}, fields: { Qty: 1 } }]));
    expect([empty.status, empty.message]).toEqual([400, "Error manipulating data: [Sandbox] ValueError require is empty but allow_empty_require isn't set"]);
    expect((await doc.upsertRecords('Items', [{ require: {}, fields: { Code: 'all' } }], { allowEmptyRequire: true })).recordIds).toEqual([[1]]);
    const bogus = await errorOf(doc.upsertRecords('Items', [{ require: { Name: 'x' } }], { onmany: 'bogus' as never }));
    expect([bogus.status, bogus.message]).toEqual([400, 'onmany parameter bogus should be one of first,none,all']);
  });

  test('duplicate requires, unknown and formula columns are refused and change nothing', async () => {
    const before = await doc.getRecords('Items');
    const dup = await errorOf(doc.upsertRecords('Items', [{ require: { Name: 'zz' } }, { require: { Name: 'zz' } }]));
    expect(dup.message).toBe('Error manipulating data: [Sandbox] ValueError require values must be unique');
    expect((await errorOf(doc.upsertRecords('Items', [{ require: { Nope: 1 } }]))).message).toBe('Invalid column "Nope"');
    expect((await errorOf(doc.upsertRecords('Items', [{ require: { Name: 'a' }, fields: { Nope: 1 } }]))).message).toBe('Invalid column "Nope"');
    expect((await errorOf(doc.upsertRecords('Items', [{ require: { Name: 'a' }, fields: { Double: 1 } }]))).status).toBe(400);
    expect(await doc.getRecords('Items')).toEqual(before);
  });

  test('a formula column in require matches on its stored values (04 put-require-formula-column)', async () => {
    // hammer and kite (ids 1, 4) have Double 25: the first one is updated.
    const res = await doc.upsertRecords('Items', [{ require: { Double: 25 }, fields: { Qty: 7 } }]);
    expect(res).toEqual({ recordIds: [[1]], addRecordIds: [], updateRecordIds: [[1]] });
    const rows = await doc.getRecords('Items', { filter: { Double: [25] } });
    expect(rows.map((r) => [r.id, r.fields.Qty])).toEqual([[1, 7], [4, 2]]);
  });

  test('groups run in sorted signature order (04 put-mixed-key-sets)', async () => {
    await doc.createTables([{ id: 'Stock', columns: [{ id: 'Sku', fields: { type: 'Text' } }, { id: 'Name', fields: { type: 'Text' } },
      { id: 'Qty', fields: { type: 'Int' } }, { id: 'Price', fields: { type: 'Numeric' } }] }]);
    const res = await doc.upsertRecords('Stock', [
      { require: { Sku: 'M1' }, fields: { Qty: 1 } }, { require: { Name: 'nut M5' }, fields: { Price: 0.35 } },
      { require: { Sku: 'M2' }, fields: { Qty: 2 } }, { require: { Sku: 'A1' } },
    ]);
    expect(res).toEqual({ recordIds: [[3], [1], [4], [2]], addRecordIds: [1, 2, 3, 4], updateRecordIds: [] });
  });
});
