import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { GristError } from '../backend/errors.js';
import { mayParse } from './columns.js';
import { EmbeddedDocument } from './document.js';
import { pythonLoadMs } from './formulas/runtime.js';

// Formulas load Python once per process (seconds on a busy machine): not inside a test's time limit.
beforeAll(async () => { await pythonLoadMs(); }, 180_000);

let doc: EmbeddedDocument;
beforeEach(async () => {
  doc = EmbeddedDocument.create(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'engine-col-')), 'doc.grist'));
  await doc.createTables([{ id: 'Books', columns: [{ id: 'Title', fields: { type: 'Text' } }, { id: 'Pages', fields: { type: 'Text' } }] }]);
  await doc.addRecords('Books', [{ fields: { Title: 'Dune', Pages: '412' } }, { fields: { Title: 'Emma', Pages: 'abc' } }]);
});
afterEach(async () => { await doc.close(); });

async function errorOf(p: Promise<unknown>): Promise<GristError> {
  try { await p; } catch (err) { expect(err).toBeInstanceOf(GristError); return err as GristError; }
  throw new Error('expected a GristError');
}
async function col(id: string): Promise<Record<string, unknown> | undefined> {
  return (await doc.listColumns('Books', { hidden: true })).find((c) => c.id === id)?.fields as Record<string, unknown> | undefined;
}

describe('POST /columns', () => {
  test('empty formula columns by default, Any without type, first free letter, labels keep the id (06 post-columns)', async () => {
    const ids = await doc.addColumns('Books', [
      { id: 'Upper', fields: { type: 'Text', isFormula: true, formula: '$Title.upper()' } },
      { id: 'Score', fields: { type: 'Numeric', label: 'Score (0-10)' } }, { id: 'Notes', fields: { type: 'Text', description: 'x' } },
      { id: 'Blank' }, { id: 'Title' }, { fields: { label: 'Label Only' } }, { id: 'my col' },
      { id: 'Trig', fields: { type: 'Text', isFormula: false, formula: 'NOW()' } },
    ]);
    expect(ids).toEqual(['Upper', 'Score', 'Notes', 'Blank', 'Title2', 'A', 'my_col', 'Trig']);
    expect(await col('Score')).toMatchObject({ isFormula: true, formula: '', type: 'Numeric', label: 'Score (0-10)' });
    expect(await col('Notes')).toMatchObject({ description: '' });
    expect(await col('Blank')).toMatchObject({ isFormula: true, type: 'Any' });
    expect(await col('A')).toMatchObject({ label: 'Label Only' });
    expect(await col('Trig')).toMatchObject({ isFormula: false, formula: 'NOW()' });
    const [rec] = await doc.getRecords('Books');
    expect(rec?.fields).toMatchObject({ Score: 0, Notes: '', Blank: null, Trig: '', Upper: 'DUNE' });
    expect(rec?.errors).toBeUndefined();
    const bogus = await errorOf(doc.addColumns('Books', [{ id: 'X', fields: { type: 'Bogus' } }]));
    expect([bogus.status, bogus.message]).toEqual([400, "Error manipulating data: [Sandbox] AttributeError module 'grist' has no attribute 'Bogus'"]);
    expect((await errorOf(doc.addColumns('Nope', [{ id: 'X' }]))).message).toBe('Table not found "Nope"');
  });

  test('an empty Any column gets a guessed type on first write (06 columns-authors-after-write)', async () => {
    await doc.addColumns('Books', [{ id: 'Born' }, { id: 'Count' }]);
    await doc.updateRecords('Books', [{ id: 1, fields: { Born: '1929-10-21', Count: '42' } }]);
    expect(await col('Born')).toMatchObject({ isFormula: false, type: 'Date',
      widgetOptions: '{"dateFormat": "YYYY-MM-DD", "isCustomDateFormat": false, "isCustomTimeFormat": true, "timeFormat": ""}' });
    expect(await col('Count')).toMatchObject({ isFormula: false, type: 'Numeric' });
    expect((await doc.getRecords('Books')).map((r) => [r.fields.Born, r.fields.Count])).toEqual([[-1268524800, 42], [null, 0]]);
  });
});

describe('PATCH /columns', () => {
  test('type change converts stored data (06 patch-text-to-numeric)', async () => {
    await doc.modifyColumns('Books', [{ id: 'Pages', fields: { type: 'Numeric' } }]);
    expect((await doc.getRecords('Books')).map((r) => r.fields.Pages)).toEqual([412, 'abc']);
    expect(await col('Pages')).toMatchObject({ type: 'Numeric' });
  });

  test('label ties the colId unless untied or colId is given; renames rewrite formulas', async () => {
    await doc.addColumns('Books', [{ id: 'Upper', fields: { type: 'Text', formula: '$Title.upper() + $Titles' } }]);
    await doc.modifyColumns('Books', [{ id: 'Pages', fields: { label: 'Page Count' } }]);
    expect(await col('Page_Count')).toMatchObject({ label: 'Page Count' });
    await doc.modifyColumns('Books', [{ id: 'Page_Count', fields: { label: 'Other', untieColIdFromLabel: true } }]);
    expect(await col('Page_Count')).toMatchObject({ label: 'Other', untieColIdFromLabel: true });
    await doc.modifyColumns('Books', [{ id: 'Title', fields: { colId: 'BookTitle' } }]);
    expect(await col('BookTitle')).toMatchObject({ label: 'Title' });
    expect(await col('Upper')).toMatchObject({ formula: '$BookTitle.upper() + $Titles' });
    expect((await doc.getRecords('Books'))[0]?.fields.BookTitle).toBe('Dune');
    await doc.modifyColumns('Books', [{ id: 'Page_Count', fields: { colId: 'BookTitle' } }]);
    expect(await col('BookTitle2')).toBeDefined();
  });

  test('formula <-> data', async () => {
    await doc.modifyColumns('Books', [{ id: 'Pages', fields: { isFormula: true, formula: 'len($Title)' } }]);
    // A number in a Text column becomes its text, as Grist's Text type converts it.
    expect((await doc.getRecords('Books'))[0]?.fields.Pages).toBe('4');
    const err = await errorOf(doc.updateRecords('Books', [{ id: 1, fields: { Pages: 'x' } }]));
    expect(err.status).toBe(400);
    await doc.modifyColumns('Books', [{ id: 'Pages', fields: { isFormula: false } }]);
    expect(await col('Pages')).toMatchObject({ isFormula: false, formula: 'len($Title)' });
    await doc.updateRecords('Books', [{ id: 1, fields: { Pages: 'x' } }]);
    expect((await doc.getRecords('Books'))[0]?.fields.Pages).toBe('x');
  });

  test('errors: same keys, unknown column/table/field/type; nothing changes', async () => {
    const diff = await errorOf(doc.modifyColumns('Books', [{ id: 'Title', fields: { label: 'a' } }, { id: 'Pages', fields: { type: 'Int' } }]));
    expect([diff.status, diff.message]).toEqual([400, 'PATCH requires all records to have same fields']);
    expect((await errorOf(doc.modifyColumns('Books', [{ id: 'Nope', fields: { type: 'Int' } }]))).message).toBe('Column not found "Nope"');
    expect((await errorOf(doc.modifyColumns('Nope', [{ id: 'A', fields: {} }]))).message).toBe('Table not found "Nope"');
    expect((await errorOf(doc.modifyColumns('Books', [{ id: 'Title', fields: { notAField: 1 } }]))).message).toBe('Invalid column "notAField"');
    const bad = await errorOf(doc.modifyColumns('Books', [{ id: 'Pages', fields: { type: 'Int' } }, { id: 'Title', fields: { type: 'Bogus' } }]));
    expect([bad.status, bad.message]).toEqual([400, "Error manipulating data: [Sandbox] AttributeError module 'grist' has no attribute 'Bogus'"]);
    expect(await col('Pages')).toMatchObject({ type: 'Text' });
  });
});

describe('PUT and DELETE /columns', () => {
  test('put updates, adds, honours noadd/noupdate, replaceall keeps manualSort', async () => {
    await doc.putColumns('Books', [{ id: 'Pages', fields: { type: 'Numeric' } }, { id: 'Isbn', fields: { type: 'Text' } }]);
    expect(await col('Isbn')).toMatchObject({ type: 'Text', isFormula: true });
    expect(await col('Pages')).toMatchObject({ type: 'Numeric' });
    await doc.putColumns('Books', [{ id: 'Skipped', fields: { type: 'Text' } }], { noadd: true });
    expect(await col('Skipped')).toBeUndefined();
    await doc.putColumns('Books', [{ id: 'Pages', fields: { type: 'Text' } }], { noupdate: true });
    expect(await col('Pages')).toMatchObject({ type: 'Numeric' });
    await doc.putColumns('Books', [{ id: 'Title', fields: { type: 'Text' } }], { replaceall: true });
    expect((await doc.listColumns('Books', { hidden: true })).map((c) => c.id)).toEqual(['manualSort', 'Title']);
    expect((await doc.getRecords('Books'))[0]?.fields).toEqual({ Title: 'Dune' });
  });

  test('delete: 404 texts, id refused, manualSort allowed', async () => {
    await doc.deleteColumn('Books', 'Pages');
    expect(await col('Pages')).toBeUndefined();
    for (const [t, c] of [['Books', 'Nope'], ['Nope', 'Title'], ['Books', 'id']] as const) {
      const err = await errorOf(doc.deleteColumn(t, c));
      expect([err.status, err.message]).toEqual([404, `Table or column not found "${t}.${c}"`]);
    }
    await doc.deleteColumn('Books', 'manualSort');
    expect((await doc.listColumns('Books', { hidden: true })).map((c) => c.id)).toEqual(['Title']);
    expect(await doc.addRecords('Books', [{ fields: { Title: 'New' } }])).toEqual([3]);
    expect((await doc.getRecords('Books', { sort: 'Title' })).map((r) => r.id)).toEqual([1, 2, 3]);
  });
});

describe('helpers', () => {
  test('mayParse spots formulas Python would not parse', () => {
    expect(['$Title +', 'len($Title', '"abc', '$A[1', 'x = '].map(mayParse)).toEqual([false, false, false, false, false]);
    expect(['$Title.upper()', '$A + $B', '"a(" + $B', '$A # note (', 'f(\n  $A)'].map(mayParse)).toEqual([true, true, true, true, true]);
  });

  test('whole numbers are stored as SQLite integers, fractions as reals', async () => {
    await doc.modifyColumns('Books', [{ id: 'Pages', fields: { type: 'Numeric' } }]);
    await doc.addRecords('Books', [{ fields: { Title: 'x', Pages: 2.5 } }]);
    const rows = doc.db.prepare('SELECT typeof(Pages) AS t, typeof(manualSort) AS m FROM Books ORDER BY id').all();
    expect(rows).toEqual([{ t: 'integer', m: 'integer' }, { t: 'text', m: 'integer' }, { t: 'real', m: 'integer' }]);
  });
});
