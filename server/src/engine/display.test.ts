/**
 * SetDisplayFormula on the embedded engine (03-records-read apply-set-display-formula and what follows):
 * helper columns, sharing, numbering, updates, removal, renames, recalculation. Real SQLite, real Python.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { GristError } from '../backend/errors.js';
import { EmbeddedDocument } from './document.js';
import { pythonLoadMs } from './formulas/runtime.js';

let doc: EmbeddedDocument;
/** A document with a formula, open for the whole file: the shared runtime stops when no document has formulas. */
let keepAlive: EmbeddedDocument;
beforeAll(async () => {
  await pythonLoadMs();
  keepAlive = EmbeddedDocument.create(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'engine-display-keep-')), 'doc.grist'));
  await keepAlive.createTables([{ id: 'T', columns: [{ id: 'F', fields: { formula: '1' } }] }]);
  await keepAlive.addRecords('T', [{}]);
}, 180_000);
afterAll(async () => { await keepAlive?.close(); });
beforeEach(async () => {
  doc = EmbeddedDocument.create(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'engine-display-')), 'doc.grist'));
  await doc.createTables([
    { id: 'Owners', columns: [{ id: 'Name', fields: { type: 'Text' } }, { id: 'City', fields: { type: 'Text' } }] },
    { id: 'Items', columns: [{ id: 'Title', fields: { type: 'Text' } }, { id: 'Owner', fields: { type: 'Ref:Owners' } },
      { id: 'Buyer', fields: { type: 'Ref:Owners' } }] },
  ]);
  await doc.addRecords('Owners', [{ fields: { Name: 'Zed', City: 'Oslo' } }, { fields: { Name: 'Amy', City: 'Rome' } }]);
  await doc.addRecords('Items', [{ fields: { Title: 'hammer', Owner: 2, Buyer: 1 } }, { fields: { Title: 'ball', Owner: 1, Buyer: 0 } }]);
});
afterEach(async () => { await doc.close(); });

/** The hidden columns' [colId, type, isFormula, formula] and each Ref column's displayCol as a colId. */
async function helpers(): Promise<{ cols: unknown[]; display: Record<string, string | 0> }> {
  const all = await doc.listColumns('Items', { hidden: true });
  const byRef = new Map(all.map((c) => [c.fields.colRef, c.id]));
  return {
    cols: all.filter((c) => c.id.startsWith('gristHelper_')).map((c) => [c.id, c.fields.type, c.fields.isFormula, c.fields.formula]),
    display: Object.fromEntries(all.filter((c) => /^Ref(List)?:/.test(c.fields.type)).map((c) => [c.id, c.fields.displayCol ? byRef.get(c.fields.displayCol) ?? 0 : 0])),
  };
}

async function colRef(colId: string): Promise<number> {
  return (await doc.listColumns('Items', { hidden: true })).find((c) => c.id === colId)?.fields.colRef ?? 0;
}

async function helperValues(colId = 'gristHelper_Display'): Promise<unknown[]> {
  return (await doc.getRecords('Items', { hidden: true })).map((r) => r.fields[colId] ?? r.errors?.[colId]);
}

describe('SetDisplayFormula', () => {
  test('adds a hidden Any formula helper, sets displayCol, computes and recomputes it', async () => {
    const res = await doc.applyUserActions([['SetDisplayFormula', 'Items', null, await colRef('Owner'), '$Owner.Name']]);
    expect(res).toMatchObject({ retValues: [null], isModification: true });
    expect(await helpers()).toEqual({ cols: [['gristHelper_Display', 'Any', true, '$Owner.Name']], display: { Owner: 'gristHelper_Display', Buyer: 0 } });
    // Hidden like manualSort: only with `hidden`.
    expect((await doc.listColumns('Items')).map((c) => c.id)).toEqual(['Title', 'Owner', 'Buyer']);
    expect(Object.keys((await doc.getRecords('Items'))[0]?.fields ?? {})).toEqual(['Title', 'Owner', 'Buyer']);
    expect(await helperValues()).toEqual(['Amy', 'Zed']);
    await doc.updateRecords('Owners', [{ id: 2, fields: { Name: 'Amelia' } }]);
    expect(await helperValues()).toEqual(['Amelia', 'Zed']);
    await doc.deleteRecords('Owners', [1]);
    expect(await helperValues()).toEqual(['Amelia', '']);
    // Text in a Ref column (alt text) makes `$Owner.Name` an InvalidTypedValue, as in Grist (03 final_state).
    await doc.addRecords('Items', [{ fields: { Title: 'glue', Owner: 'Nobody' } }]);
    expect(await helperValues()).toEqual(['Amelia', '', 'InvalidTypedValue']);
    const sql = await doc.sql('SELECT id, gristHelper_Display FROM Items ORDER BY id');
    expect(sql.records.slice(0, 2).map((r) => r.fields.gristHelper_Display)).toEqual(['Amelia', '']);
  });

  test('shares a helper with the same formula, numbers further ones, updates a helper in place', async () => {
    await doc.applyUserActions([['SetDisplayFormula', 'Items', null, 'Owner', '$Owner.Name']]);
    await doc.applyUserActions([['SetDisplayFormula', 'Items', null, 'Buyer', '$Buyer.Name']]);
    expect((await helpers()).cols).toEqual([
      ['gristHelper_Display', 'Any', true, '$Owner.Name'], ['gristHelper_Display2', 'Any', true, '$Buyer.Name']]);
    expect(await helperValues('gristHelper_Display2')).toEqual(['Zed', '']);
    // The only user of its helper: the helper keeps its colRef and takes the new formula.
    const before = await colRef('gristHelper_Display2');
    await doc.applyUserActions([['SetDisplayFormula', 'Items', null, 'Buyer', '$Buyer.City']]);
    expect(await colRef('gristHelper_Display2')).toBe(before);
    expect(await helperValues('gristHelper_Display2')).toEqual(['Oslo', '']);
    // Still its only user: rewritten in place even when another helper has that formula (as Grist does).
    await doc.applyUserActions([['SetDisplayFormula', 'Items', null, 'Buyer', '$Owner.Name']]);
    expect((await helpers()).cols).toEqual([
      ['gristHelper_Display', 'Any', true, '$Owner.Name'], ['gristHelper_Display2', 'Any', true, '$Owner.Name']]);
    // An empty formula unsets displayCol and removes the helper nobody uses any more.
    await doc.applyUserActions([['SetDisplayFormula', 'Items', null, 'Buyer', '']]);
    expect(await helpers()).toEqual({ cols: [['gristHelper_Display', 'Any', true, '$Owner.Name']], display: { Owner: 'gristHelper_Display', Buyer: 0 } });
    // Without a helper of its own, a column shares the table's helper with the same formula.
    await doc.applyUserActions([['SetDisplayFormula', 'Items', null, 'Buyer', '$Owner.Name']]);
    expect(await helpers()).toEqual({
      cols: [['gristHelper_Display', 'Any', true, '$Owner.Name']], display: { Owner: 'gristHelper_Display', Buyer: 'gristHelper_Display' },
    });
    // A shared helper is not rewritten for one of its users: a new one is added.
    await doc.applyUserActions([['SetDisplayFormula', 'Items', null, 'Buyer', '$Buyer.Name']]);
    expect(await helpers()).toEqual({
      cols: [['gristHelper_Display', 'Any', true, '$Owner.Name'], ['gristHelper_Display2', 'Any', true, '$Buyer.Name']],
      display: { Owner: 'gristHelper_Display', Buyer: 'gristHelper_Display2' },
    });
  });

  test('renames rewrite the helper formula; removing the column (or its shown column) removes the helper', async () => {
    await doc.applyUserActions([['SetDisplayFormula', 'Items', null, 'Owner', '$Owner.Name']]);
    await doc.applyUserActions([['RenameColumn', 'Items', 'Owner', 'Keeper'], ['RenameColumn', 'Owners', 'Name', 'Full']]);
    expect((await helpers()).cols).toEqual([['gristHelper_Display', 'Any', true, '$Keeper.Full']]);
    expect(await helperValues()).toEqual(['Amy', 'Zed']);
    await doc.applyUserActions([['RemoveColumn', 'Items', 'Keeper']]);
    expect((await helpers()).cols).toEqual([]);

    const city = (await doc.listColumns('Owners')).find((c) => c.id === 'City')?.fields.colRef;
    await doc.applyUserActions([['ModifyColumn', 'Items', 'Buyer', { visibleCol: city }], ['SetDisplayFormula', 'Items', null, 'Buyer', '$Buyer.City']]);
    expect((await helpers()).cols).toEqual([['gristHelper_Display', 'Any', true, '$Buyer.City']]);
    // Removing the column a Ref column shows (its visibleCol) removes that column's helper too.
    await doc.deleteColumn('Owners', 'City');
    expect(await helpers()).toEqual({ cols: [], display: { Buyer: 0 } });
  });

  test('a type change away from Ref unsets displayCol and visibleCol and removes the helper; Ref to RefList of the same table keeps them', async () => {
    const name = (await doc.listColumns('Owners')).find((c) => c.id === 'Name')?.fields.colRef;
    await doc.applyUserActions([['ModifyColumn', 'Items', 'Owner', { visibleCol: name }], ['SetDisplayFormula', 'Items', null, 'Owner', '$Owner.Name']]);
    await doc.modifyColumns('Items', [{ id: 'Owner', fields: { type: 'RefList:Owners' } }]);
    expect((await helpers()).display.Owner).toBe('gristHelper_Display');
    await doc.modifyColumns('Items', [{ id: 'Owner', fields: { type: 'Text' } }]);
    const owner = (await doc.listColumns('Items')).find((c) => c.id === 'Owner');
    expect([owner?.fields.displayCol, owner?.fields.visibleCol]).toEqual([0, 0]);
    expect((await helpers()).cols).toEqual([]);
  });

  test('bad input is a clear sandbox error and changes nothing', async () => {
    const err = async (action: unknown[]): Promise<string> => {
      try { await doc.applyUserActions([action]); } catch (e) { expect(e).toBeInstanceOf(GristError); return (e as GristError).message; }
      throw new Error('expected an error');
    };
    expect(await err(['SetDisplayFormula', 'Items', 5, null, '$Owner.Name'])).toMatch(/^\[Sandbox\] ValueError SetDisplayFormula for view field 5: this document has no view fields/);
    expect(await err(['SetDisplayFormula', 'Items', 5, 3, '$Owner.Name'])).toBe('[Sandbox] AssertionError Should set either field or column display formula');
    expect(await err(['SetDisplayFormula', 'Items', null, 'Nope', '$Owner.Name'])).toBe('[Sandbox] KeyError SetDisplayFormula: no column "Nope" in table Items');
    expect(await err(['SetDisplayFormula', 'Nope', null, 'Owner', '$Owner.Name'])).toBe('[Sandbox] ValueError No such table: Nope');
    expect(await err(['SetDisplayFormula', 'Items', null, 'Owner', 7])).toBe('[Sandbox] TypeError SetDisplayFormula formula must be a string');
    expect((await helpers()).cols).toEqual([]);
  });
});
