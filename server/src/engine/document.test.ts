import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { GristError } from '../backend/errors.js';
import { EmbeddedDocument } from './document.js';
import { pythonLoadMs } from './formulas/runtime.js';

// Formulas load Python once per process (seconds on a busy machine): not inside a test's time limit.
beforeAll(async () => { await pythonLoadMs(); }, 180_000);

const open: EmbeddedDocument[] = [];
function tmpFile(name = 'doc.grist'): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'engine-doc-')), name);
}
function newDoc(): EmbeddedDocument {
  const doc = EmbeddedDocument.create(tmpFile());
  open.push(doc);
  return doc;
}
async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<GristError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(GristError);
    return err as GristError;
  }
  throw new Error('expected a GristError');
}
afterEach(async () => {
  for (const d of open.splice(0)) { await d.close(); }
});

describe('documents', () => {
  test('a new document looks like a new Grist document (01 list-tables-new-doc, columns-table1-hidden)', async () => {
    const doc = newDoc();
    expect(await doc.listTables()).toEqual([{ id: 'Table1', fields: { tableRef: 1, primaryViewId: 1, summarySourceTable: 0,
      onDemand: false, rawViewSectionRef: 2, recordCardViewSectionRef: 3 } }]);
    const cols = await doc.listColumns('Table1', { hidden: true });
    expect(cols.map((c) => [c.id, c.fields.colRef, c.fields.type, c.fields.isFormula, c.fields.parentPos])).toEqual([
      ['manualSort', 1, 'ManualSortPos', false, 1], ['A', 2, 'Any', true, 2], ['B', 3, 'Any', true, 3], ['C', 4, 'Any', true, 4],
    ]);
    expect(Object.keys(cols[1]?.fields ?? {})).toEqual(['colRef', 'label', 'isFormula', 'type', 'parentId', 'parentPos',
      'widgetOptions', 'formula', 'description', 'untieColIdFromLabel', 'summarySourceCol', 'displayCol', 'visibleCol', 'rules',
      'reverseCol', 'recalcWhen', 'recalcDeps']);
    expect((await doc.listColumns('Table1')).map((c) => c.id)).toEqual(['A', 'B', 'C']);
    expect(await doc.getRecords('Table1')).toEqual([]);
    expect(doc.db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  test('reopens a document with its data; create refuses an existing file', async () => {
    const file = tmpFile();
    const doc = EmbeddedDocument.create(file);
    await doc.createTables([{ id: 'People', columns: [{ id: 'Name', fields: { type: 'Text' } }] }]);
    await doc.close();
    const again = EmbeddedDocument.open(file);
    open.push(again);
    expect((await again.listTables()).map((t) => t.id)).toEqual(['Table1', 'People']);
    const err = await errorOf(() => EmbeddedDocument.create(file));
    expect(err.extra?.kind).toBe('document');
  });

  test('a missing file is 404 naming the file, and open creates nothing', async () => {
    const file = tmpFile('missing.grist');
    const err = await errorOf(() => EmbeddedDocument.open(file));
    expect(err.status).toBe(404);
    expect(err.message).toContain(file);
    expect(err.extra?.kind).toBe('document');
    expect(fs.existsSync(file)).toBe(false);
  });

  test('a corrupt file or a foreign SQLite file is 500 naming the file', async () => {
    const junk = tmpFile('junk.grist');
    fs.writeFileSync(junk, 'this is not a database at all, just some text that is long enough to matter');
    const err = await errorOf(() => EmbeddedDocument.open(junk));
    expect(err.status).toBe(500);
    expect(err.message).toContain(junk);
    const foreign = tmpFile('foreign.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (x)');
    db.close();
    const err2 = await errorOf(() => EmbeddedDocument.open(foreign));
    expect(err2.status).toBe(500);
    expect(err2.message).toContain(foreign);
    expect(err2.extra?.kind).toBe('document');
  });

  test('create in a missing folder is a 500 naming the file', async () => {
    const file = path.join(tmpFile(), 'no', 'such', 'dir.grist');
    const err = await errorOf(() => EmbeddedDocument.create(file));
    expect([err.status, err.extra?.kind]).toEqual([500, 'document']);
    expect(err.message).toContain(file);
  });

  test('a closed document refuses calls; close twice is fine', async () => {
    const doc = EmbeddedDocument.create(tmpFile());
    await doc.close();
    await doc.close();
    expect((await errorOf(doc.listTables())).status).toBe(500);
  });
});

describe('tables', () => {
  test('creates several tables in order with view/section numbering and refs by tableRef', async () => {
    const doc = newDoc();
    const ids = await doc.createTables([
      { id: 'People', columns: [{ id: 'Name', fields: { type: 'Text' } }, { id: 'Age', fields: { type: 'Int' } }] },
      { id: 'Things', columns: [{ id: 'Owner', fields: { type: 'Ref:People' } }, { id: 'Untyped' },
        { id: 'WithLabel', fields: { label: 'A Nice Label', type: 'Text' } },
        { id: 'Total', fields: { type: 'Numeric', isFormula: true, formula: '$Price * $Qty' } }] },
    ]);
    expect(ids).toEqual(['People', 'Things']);
    const tables = await doc.listTables();
    expect(tables[2]).toEqual({ id: 'Things', fields: { tableRef: 3, primaryViewId: 3, summarySourceTable: 0, onDemand: false,
      rawViewSectionRef: 8, recordCardViewSectionRef: 9 } });
    const things = await doc.listColumns('3');
    expect(things.map((c) => [c.id, c.fields.type, c.fields.isFormula, c.fields.label, c.fields.colRef])).toEqual([
      ['Owner', 'Ref:People', false, 'Owner', 9], ['Untyped', 'Text', false, 'Untyped', 10],
      ['WithLabel', 'Text', false, 'A Nice Label', 11], ['Total', 'Numeric', true, 'Total', 12],
    ]);
    expect(doc.resolveTableId('2')).toBe('People');
    expect((await errorOf(async () => doc.resolveTableId('999'))).message).toBe('Table not found "999"');
    expect((await errorOf(doc.getRecords('people'))).message).toBe('Table not found "people"');
    const meta = await doc.getRecords('_grist_Tables');
    expect(meta.map((r) => [r.id, r.fields.tableId, r.fields.rawViewSectionRef])).toEqual([[1, 'Table1', 2], [2, 'People', 5], [3, 'Things', 8]]);
    const metaCols = await errorOf(doc.listColumns('_grist_Tables'));
    expect([metaCols.status, metaCols.message]).toEqual([500, 'getTableCols not available for meta tables']);
  });

  test('normalises table ids (01 create-*) and column ids (01 columns-colids)', async () => {
    const doc = newDoc();
    const col = [{ id: 'X', fields: { type: 'Text' } }];
    expect(await doc.createTables([{ id: 'my table', columns: col }, { id: 'People', columns: col }, { id: 'People', columns: col },
      { id: 'people', columns: col }, { id: '', columns: col }])).toEqual(['My_table', 'People', 'People2', 'People3', 'Table2']);
    await doc.createTables([{ id: 'ColIds', columns: [{ id: 'first name' }, { id: 'First Name' }, { id: 'first_name' }, { id: 'class' },
      { id: 'id' }, { id: 'manualSort' }, { id: '' }, { fields: { label: 'From Label' } }] }]);
    const cols = await doc.listColumns('ColIds');
    expect(cols.map((c) => [c.id, c.fields.label])).toEqual([['first_name', 'first_name'], ['First_Name2', 'First_Name2'],
      ['first_name3', 'first_name3'], ['cclass', 'cclass'], ['id2', 'id2'], ['manualSort2', 'manualSort2'], ['A', 'A'], ['B', 'From Label']]);
  });

  test('an unknown type fails POST /tables with 500 and creates nothing', async () => {
    const doc = newDoc();
    const err = await errorOf(doc.createTables([{ id: 'Ok', columns: [{ id: 'A', fields: { type: 'Text' } }] },
      { id: 'Bad', columns: [{ id: 'A', fields: { type: 'Bogus' } }] }]));
    expect([err.status, err.message]).toEqual([500, "[Sandbox] AttributeError module 'grist' has no attribute 'Bogus'"]);
    expect((await doc.listTables()).map((t) => t.id)).toEqual(['Table1']);
    expect(await doc.createTables([{ id: 'Dangling', columns: [{ id: 'R', fields: { type: 'Ref:NoSuchTable' } }] }])).toEqual(['Dangling']);
  });

  test('rename rewrites Ref/RefList types; PATCH /tables checks fields and tables', async () => {
    const doc = newDoc();
    await doc.createTables([{ id: 'People', columns: [{ id: 'Name', fields: { type: 'Text' } }] },
      { id: 'Goods', columns: [{ id: 'Owner', fields: { type: 'Ref:People' } }, { id: 'Fans', fields: { type: 'RefList:People' } }] }]);
    await doc.addRecords('People', [{ fields: { Name: 'Ann' } }]);
    expect(await doc.renameTable('People', 'persons')).toBe('Persons');
    expect((await doc.listColumns('Goods')).map((c) => c.fields.type)).toEqual(['Ref:Persons', 'RefList:Persons']);
    expect((await errorOf(doc.getRecords('People'))).status).toBe(404);
    expect((await doc.getRecords('Persons')).map((r) => r.id)).toEqual([1]);
    await doc.updateTables([{ id: 'Goods', fields: { tableId: 'items lower' } }]);
    expect((await doc.listTables()).map((t) => t.id)).toEqual(['Table1', 'Persons', 'Items_lower']);
    const unknownField = await errorOf(doc.updateTables([{ id: 'Persons', fields: { notAField: 1 } }]));
    expect([unknownField.status, unknownField.message]).toEqual([400, 'Invalid column "notAField"']);
    const unknownTable = await errorOf(doc.updateTables([{ id: 'NoSuchTable', fields: { tableId: 'X' } }]));
    expect([unknownTable.status, unknownTable.message]).toEqual([404, 'Table not found "NoSuchTable"']);
    expect(await doc.renameTable('Items_lower', 'Persons')).toBe('Persons2');
  });

  test('removing a referenced table turns Ref into Int and RefList into Text ids (01 records-goods-after-remove-referenced)', async () => {
    const doc = newDoc();
    await doc.createTables([{ id: 'People', columns: [{ id: 'Name', fields: { type: 'Text' } }] },
      { id: 'Goods', columns: [{ id: 'Owner', fields: { type: 'Ref:People' } }, { id: 'Fans', fields: { type: 'RefList:People' } }] }]);
    await doc.addRecords('People', [{ fields: { Name: 'Ann' } }, { fields: { Name: 'Bob' } }]);
    await doc.addRecords('Goods', [{ fields: { Owner: 2, Fans: ['L', 1, 2] } }, { fields: { Owner: 0 } }]);
    await doc.removeTable('People');
    expect((await doc.listColumns('Goods')).map((c) => c.fields.type)).toEqual(['Int', 'Text']);
    expect((await doc.getRecords('Goods')).map((r) => r.fields)).toEqual([{ Owner: 2, Fans: '1,2' }, { Owner: 0, Fans: null }]);
    expect((await doc.listTables()).map((t) => t.id)).toEqual(['Table1', 'Goods']);
    expect((await errorOf(doc.removeTable('People'))).status).toBe(404);
  });

  test('column metadata is readable as records of _grist_Tables_column', async () => {
    const doc = newDoc();
    const rows = await doc.getRecords('_grist_Tables_column', { filter: { parentId: [1] }, sort: '-colId', limit: 2 });
    expect(rows.map((r) => [r.id, r.fields.colId, r.fields.isFormula, r.fields.rules])).toEqual([[1, 'manualSort', false, null], [4, 'C', true, null]]);
    expect((await errorOf(doc.addRecords('_grist_Tables', [{}]))).status).toBe(400);
  });

  test('listTablesWithColumns leaves hidden columns out', async () => {
    const doc = newDoc();
    const [t] = await doc.listTablesWithColumns();
    expect(t?.columns.map((c) => c.id)).toEqual(['A', 'B', 'C']);
  });
});
