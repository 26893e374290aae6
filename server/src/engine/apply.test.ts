import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GristError } from '../backend/errors.js';
import { EmbeddedDocument } from './document.js';

let doc: EmbeddedDocument;
beforeEach(async () => {
  doc = EmbeddedDocument.create(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'engine-apply-')), 'doc.grist'));
  await doc.createTables([{ id: 'Tasks', columns: [{ id: 'Title', fields: { type: 'Text' } }, { id: 'Due', fields: { type: 'Date' } },
    { id: 'Done', fields: { type: 'Bool' } }, { id: 'Hours', fields: { type: 'Numeric' } }] }]);
});
afterEach(async () => { await doc.close(); });

async function errorOf(p: Promise<unknown>): Promise<GristError> {
  try { await p; } catch (err) { expect(err).toBeInstanceOf(GristError); return err as GristError; }
  throw new Error('expected a GristError');
}

describe('applyUserActions (09-apply)', () => {
  test('record actions return Grist retValues; actionNum increments', async () => {
    const r1 = await doc.applyUserActions([['AddRecord', 'Tasks', null, { Title: 'write', Due: '2024-06-01', Hours: '2.5' }]]);
    expect(r1).toMatchObject({ retValues: [1], isModification: true });
    expect(r1.actionHash).toMatch(/^[0-9a-f]+$/);
    const r2 = await doc.applyUserActions([['BulkAddRecord', 'Tasks', [null, null], { Title: ['read', 'test'], Done: [true, false], Hours: [1, 3] }]]);
    expect(r2.retValues).toEqual([[2, 3]]);
    expect(r2.actionNum).toBe(r1.actionNum + 1);
    expect((await doc.applyUserActions([['UpdateRecord', 'Tasks', 1, { Done: true }], ['BulkUpdateRecord', 'Tasks', [2, 3], { Hours: [10, 30] }]])).retValues)
      .toEqual([null, null]);
    const up = await doc.applyUserActions([['BulkAddOrUpdateRecord', 'Tasks', { Title: ['write', 'new'] }, { Hours: [7, 8] },
      { on_many: 'first', update: true, add: true, allow_empty_require: false }]]);
    expect(up.retValues).toEqual([{ recordIds: [[1], [4]], addRecordIds: [4], updateRecordIds: [[1]] }]);
    const rows = await doc.getRecords('Tasks');
    expect(rows.map((r) => r.fields)).toEqual([
      { Title: 'write', Due: 1717200000, Done: true, Hours: 7 }, { Title: 'read', Due: null, Done: true, Hours: 10 },
      { Title: 'test', Due: null, Done: false, Hours: 30 }, { Title: 'new', Due: null, Done: false, Hours: 8 },
    ]);
    expect((await doc.applyUserActions([['ReplaceTableData', 'Tasks', [1, 2], { Title: ['only-1', 'only-2'], Hours: [1, 2] }]])).retValues).toEqual([null]);
    expect((await doc.getRecords('Tasks')).map((r) => [r.id, r.fields.Title])).toEqual([[1, 'only-1'], [2, 'only-2']]);
    expect(await doc.applyUserActions([['BulkRemoveRecord', 'Tasks', []]])).toMatchObject({ retValues: [null], isModification: false });
    expect(await doc.applyUserActions([])).toMatchObject({ retValues: [], isModification: false, actionHash: null });
    expect((await doc.applyUserActions([['AddRecord', 'Tasks', 100, { Title: 'explicit' }]])).retValues).toEqual([100]);
  });

  test('errors are 500 sandbox texts and the bundle is atomic', async () => {
    await doc.applyUserActions([['AddRecord', 'Tasks', null, { Title: 'a' }]]);
    const missing = await errorOf(doc.applyUserActions([['AddRecord', 'Tasks', null, { Title: 'b' }], ['UpdateRecord', 'Tasks', 99, { Done: true }]]));
    expect([missing.status, missing.message]).toEqual([500, '[Sandbox] AssertionError docactions.[Bulk]UpdateRecord for non-existent record #99']);
    expect((await doc.getRecords('Tasks')).length).toBe(1);
    const dup = await errorOf(doc.applyUserActions([['AddRecord', 'Tasks', 1, { Title: 'dup id' }]]));
    expect(dup.message).toBe('[Sandbox] AssertionError docactions.[Bulk]AddRecord for existing record #1');
    expect((await errorOf(doc.applyUserActions([['AddRecord', 'Nope', null, {}]]))).message).toBe("[Sandbox] KeyError 'Nope'");
    expect((await errorOf(doc.applyUserActions([['FlyToMoon']]))).message).toBe("Blocked by access rules: 'FlyToMoon' actions are not controlled");
    expect((await errorOf(doc.applyUserActions({} as never))).message).toBe('`actions` parameter should be an array.');
    expect((await errorOf(doc.applyUserActions([['RenameTable', 'NoSuchTable', 'X']]))).message).toBe('[Sandbox] ValueError No such table: NoSuchTable');
    expect((await errorOf(doc.applyUserActions([['RemoveColumn', 'Tasks', 'Nope']]))).message).toBe('[Sandbox] ValueError No such column: Tasks.Nope');
  });

  test('schema actions (01 apply-*, 06 apply-*)', async () => {
    expect((await doc.applyUserActions([['AddEmptyTable', null]])).retValues).toEqual([
      { id: 3, table_id: 'Table2', columns: ['A', 'B', 'C'], views: [{ id: 3, sections: [7] }] }]);
    expect((await doc.applyUserActions([['AddTable', 'Via Apply', [{ id: 'Name', type: 'Text' }, { id: 'Score', type: 'Numeric', isFormula: false }]]])).retValues)
      .toEqual([{ id: 4, table_id: 'Via_Apply', columns: ['Name', 'Score'], views: [{ id: 4, sections: [10] }] }]);
    expect((await doc.listColumns('Via_Apply')).map((c) => [c.id, c.fields.type, c.fields.isFormula])).toEqual([['Name', 'Text', false], ['Score', 'Numeric', false]]);
    expect((await doc.applyUserActions([['RenameTable', 'Table2', 'Tasks']])).retValues).toEqual(['Tasks2']);
    expect((await doc.applyUserActions([['RemoveTable', 'Tasks2']])).retValues).toEqual([null]);
    const add = await doc.applyUserActions([['AddColumn', 'Tasks', 'Via Apply', { type: 'Text' }]]);
    expect(add.retValues).toEqual([{ colRef: expect.any(Number) as number, colId: 'Via_Apply' }]);
    expect((await doc.applyUserActions([['RenameColumn', 'Tasks', 'Via_Apply', 'Hours']])).retValues).toEqual(['Hours2']);
    expect((await doc.applyUserActions([['ModifyColumn', 'Tasks', 'Hours2', { type: 'Numeric' }]])).retValues).toEqual([null]);
    expect((await doc.applyUserActions([['RemoveColumn', 'Tasks', 'Hours2']])).retValues).toEqual([null]);
    expect((await doc.listColumns('Tasks')).map((c) => c.id)).toEqual(['Title', 'Due', 'Done', 'Hours']);
  });
});
