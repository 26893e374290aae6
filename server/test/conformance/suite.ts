/**
 * One conformance suite for every {@link DocBackend}: the embedded engine, the HTTP backend over the
 * embedded engine's REST API, and the HTTP backend over a real Grist. Expectations come from
 * `shared/grist-api.md` (measured on grist-core 1.7.17); each test names the section it checks.
 *
 * Every test creates its own tables, so the tests do not depend on each other or on what a new document
 * holds (a new Grist document has `Table1`, the embedded engine may not).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GristError } from '../../src/backend/errors.js';
import { fromGristError } from '../../src/errors.js';
import type { CellValue, DocBackend, Fields, GristRecord } from '../../src/backend/types.js';
import { decodeCursor, queryKey } from '../../src/paging/cursor.js';
import { pageSorted } from '../../src/paging/sorted.js';

/** What a suite run needs: a backend on a document it may freely change, and how to dispose of it. */
export interface ConformanceTarget {
  backend: DocBackend;
  cleanup(): Promise<void>;
}

/** Awaits `promise` and checks that it fails with a GristError; returns that error. */
export async function caughtGristError(promise: Promise<unknown>): Promise<GristError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a GristError').toBeInstanceOf(GristError);
  return caught as GristError;
}

/** Awaits `promise` and checks that it fails with a GristError of this status and exact text. */
export async function expectGristError(promise: Promise<unknown>, status: number, message: string | RegExp): Promise<GristError> {
  const err = await caughtGristError(promise);
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
  expect(err.status).toBe(status);
  return err;
}

const TABLE_FIELD_KEYS = ['tableRef', 'primaryViewId', 'summarySourceTable', 'onDemand', 'rawViewSectionRef', 'recordCardViewSectionRef'];
const COLUMN_FIELD_KEYS = [
  'colRef', 'label', 'isFormula', 'type', 'parentId', 'parentPos', 'widgetOptions', 'formula', 'description',
  'untieColIdFromLabel', 'summarySourceCol', 'displayCol', 'visibleCol', 'rules', 'reverseCol', 'recalcWhen', 'recalcDeps',
];

/** Defines the conformance tests for one backend. */
export function backendConformance(name: string, make: () => Promise<ConformanceTarget>): void {
  describe(`DocBackend conformance: ${name}`, () => {
    let target: ConformanceTarget | undefined;
    let counter = 0;
    const db = (): DocBackend => {
      if (!target) throw new Error('backend not created');
      return target.backend;
    };
    /** A fresh table `<Base><n>` with the given columns (type only). */
    const table = async (base: string, columns: Record<string, string>): Promise<string> => {
      counter += 1;
      const [id] = await db().createTables([
        { id: `${base}${counter}`, columns: Object.entries(columns).map(([id, type]) => ({ id, fields: { type } })) },
      ]);
      if (!id) throw new Error('createTables returned no id');
      return id;
    };
    /** A table of goods, rows 1..n in insertion order. */
    const goods = async (): Promise<string> => {
      const t = await table('Goods', { Name: 'Text', Category: 'Text', Price: 'Numeric', Qty: 'Int', InStock: 'Bool' });
      await db().addRecords(t, [
        { fields: { Name: 'hammer', Category: 'tool', Price: 12.5, Qty: 3, InStock: true } },
        { fields: { Name: 'Saw', Category: 'tool', Price: 20, Qty: 1, InStock: false } },
        { fields: { Name: 'pear', Category: 'food', Price: 0.5, Qty: 40, InStock: true } },
        { fields: { Name: 'bread', Category: 'food', Price: 2.25, Qty: 10, InStock: true } },
        { fields: { Name: 'kite', Category: 'toy', Price: 15, Qty: 0, InStock: false } },
      ]);
      return t;
    };
    const names = (records: GristRecord[]): unknown[] => records.map((r) => r.fields['Name']);

    beforeAll(async () => {
      target = await make();
    });
    afterAll(async () => {
      await target?.cleanup();
    });

    describe('tables (2.1-2.5)', () => {
      it('creates tables, returns final ids in request order and lists them with six fields', async () => {
        counter += 1;
        const ids = await db().createTables([
          { id: `Shelf_${counter}_x`, columns: [{ id: 'Name', fields: { type: 'Text' } }] },
          { id: `Shelf_${counter}_x`, columns: [{ id: 'Name', fields: { type: 'Text' } }] },
          { id: `my table ${counter}`, columns: [{ id: 'X' }] },
        ]);
        expect(ids).toEqual([`Shelf_${counter}_x`, `Shelf_${counter}_x2`, `My_table_${counter}`]);
        const listed = await db().listTables();
        const mine = listed.filter((t) => ids.includes(t.id));
        expect(mine.map((t) => t.id).sort()).toEqual([...ids].sort());
        for (const t of mine) expect(Object.keys(t.fields).sort()).toEqual([...TABLE_FIELD_KEYS].sort());
        // A column without type in POST /tables is a Text data column (2.2).
        const cols = await db().listColumns(`My_table_${counter}`);
        expect(cols.map((c) => [c.id, c.fields.type, c.fields.isFormula])).toEqual([['X', 'Text', false]]);
      });

      it('renames a table to a normalised id; the old id is then unknown (2.4)', async () => {
        const t = await goods();
        const renamed = await db().renameTable(t, `renamed goods ${counter}`);
        expect(renamed).toBe(`Renamed_goods_${counter}`);
        expect(names(await db().getRecords(renamed))).toHaveLength(5);
        await expectGristError(db().getRecords(t), 404, `Table not found "${t}"`);
        await expectGristError(db().renameTable('NoSuchTable', 'Other'), 404, 'Table not found "NoSuchTable"');
      });

      it('removes a table with its data (2.5)', async () => {
        const t = await goods();
        await db().removeTable(t);
        expect((await db().listTables()).map((x) => x.id)).not.toContain(t);
        await expectGristError(db().getRecords(t), 404, `Table not found "${t}"`);
      });

      it('rejects unknown tables with 404 Table not found (11)', async () => {
        await expectGristError(db().getRecords('Nope'), 404, 'Table not found "Nope"');
        await expectGristError(db().listColumns('Nope'), 404, 'Table not found "Nope"');
        await expectGristError(db().addRecords('Nope', [{ fields: {} }]), 404, 'Table not found "Nope"');
        await expectGristError(db().updateRecords('Nope', [{ id: 1, fields: {} }]), 404, 'Table not found "Nope"');
        await expectGristError(db().deleteRecords('Nope', [1]), 404, 'Table not found "Nope"');
        await expectGristError(db().addColumns('Nope', [{ id: 'X' }]), 404, 'Table not found "Nope"');
      });
    });

    describe('columns (3.1-3.6)', () => {
      it('lists columns with 17 fields; manualSort only with hidden (3.1)', async () => {
        const t = await table('Cols', { Name: 'Text', Price: 'Numeric' });
        const cols = await db().listColumns(t);
        expect(cols.map((c) => c.id)).toEqual(['Name', 'Price']);
        for (const c of cols) expect(Object.keys(c.fields)).toEqual(COLUMN_FIELD_KEYS);
        expect(cols[1]?.fields).toMatchObject({ label: 'Price', type: 'Numeric', isFormula: false, widgetOptions: '', formula: '' });
        const hidden = await db().listColumns(t, { hidden: true });
        expect(hidden.map((c) => c.id)).toContain('manualSort');
      });

      it('adds columns: empty formula columns, id suffixes, letter ids (3.2, 3.6)', async () => {
        const t = await table('AddCols', { Title: 'Text' });
        const ids = await db().addColumns(t, [
          { id: 'Score', fields: { type: 'Numeric' } },
          { id: 'Title' },
          { fields: { label: 'Label Only' } },
          { id: 'first name', fields: { type: 'Text', isFormula: false } },
        ]);
        expect(ids).toEqual(['Score', 'Title2', 'A', 'first_name']);
        const cols = new Map((await db().listColumns(t)).map((c) => [c.id, c.fields]));
        expect(cols.get('Score')).toMatchObject({ type: 'Numeric', isFormula: true, formula: '' });
        expect(cols.get('Title2')).toMatchObject({ type: 'Any', isFormula: true });
        expect(cols.get('first_name')).toMatchObject({ type: 'Text', isFormula: false });
      });

      it('modifies columns: type conversion and label-tied rename (3.3)', async () => {
        const t = await table('ModCols', { Amount: 'Text', Notes: 'Text' });
        await db().addRecords(t, [{ fields: { Amount: '412', Notes: 'x' } }, { fields: { Amount: 'abc', Notes: 'y' } }]);
        await db().modifyColumns(t, [{ id: 'Amount', fields: { type: 'Numeric' } }]);
        await db().modifyColumns(t, [{ id: 'Notes', fields: { label: 'Reader Notes' } }]);
        const records = await db().getRecords(t);
        expect(records.map((r) => r.fields)).toEqual([
          { Amount: 412, Reader_Notes: 'x' },
          { Amount: 'abc', Reader_Notes: 'y' },
        ]);
        await expectGristError(db().modifyColumns(t, [{ id: 'Nope', fields: { type: 'Text' } }]), 404, 'Column not found "Nope"');
        await expectGristError(db().modifyColumns(t, [{ id: 'Amount', fields: { notAField: 1 } }]), 400, 'Invalid column "notAField"');
      });

      it('deletes a column; unknown column or table is 404 (3.4)', async () => {
        const t = await table('DelCols', { Keep: 'Text', Drop: 'Text' });
        await db().deleteColumn(t, 'Drop');
        expect((await db().listColumns(t)).map((c) => c.id)).toEqual(['Keep']);
        await expectGristError(db().deleteColumn(t, 'Drop'), 404, `Table or column not found "${t}.Drop"`);
        await expectGristError(db().deleteColumn('Nope', 'X'), 404, 'Table or column not found "Nope.X"');
      });
    });

    describe('writing records (6.1-6.6)', () => {
      it('adds records with consecutive ids; a missing field is null, not the default (6.1)', async () => {
        const t = await table('Add', { Name: 'Text', Num: 'Numeric' });
        const ids = await db().addRecords(t, [{ fields: { Name: 'a', Num: 1 } }, { fields: { Name: 'b' } }, {}]);
        expect(ids).toEqual([1, 2, 3]);
        const records = await db().getRecords(t);
        expect(records).toEqual([
          { id: 1, fields: { Name: 'a', Num: 1 } },
          { id: 2, fields: { Name: 'b', Num: null } },
          { id: 3, fields: { Name: null, Num: null } },
        ]);
      });

      it('refuses an unknown column and writes nothing (6.1)', async () => {
        const t = await table('AddBad', { Name: 'Text' });
        await expectGristError(db().addRecords(t, [{ fields: { Name: 'ok' } }, { fields: { Nope: 1 } }]), 400, 'Invalid column "Nope"');
        await expectGristError(db().addRecords(t, [{ fields: { id: 5 } }]), 400, 'Invalid column "id"');
        expect(await db().getRecords(t)).toEqual([]);
      });

      it('adds 1,200 rows in one call (the HTTP backend chunks them) with ids in request order', async () => {
        const t = await table('Bulk', { N: 'Int', Label: 'Text' });
        const rows = Array.from({ length: 1200 }, (_, i): { fields: Fields } => ({ fields: i === 1100 ? { N: i } : { N: i, Label: `row ${i}` } }));
        const ids = await db().addRecords(t, rows);
        expect(ids).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
        const records = await db().getRecords(t);
        expect(records.length).toBe(1200);
        expect(records[1099]?.fields).toEqual({ N: 1099, Label: 'row 1099' });
        // Missing in one record of the request: null, even though that record went in another chunk.
        expect(records[1100]?.fields).toEqual({ N: 1100, Label: null });
      });

      it('reuses the highest id after it was deleted (6.1)', async () => {
        const t = await goods();
        await db().deleteRecords(t, [5]);
        expect(await db().addRecords(t, [{ fields: { Name: 'yoyo' } }])).toEqual([5]);
      });

      it('updates records; an invalid row id fails the whole request (6.3)', async () => {
        const t = await goods();
        await db().updateRecords(t, [
          { id: 1, fields: { Price: 13, Qty: 4 } },
          { id: 3, fields: { Qty: 41, Price: 0.75 } },
        ]);
        const byId = new Map((await db().getRecords(t)).map((r) => [r.id, r.fields]));
        expect(byId.get(1)).toMatchObject({ Price: 13, Qty: 4 });
        expect(byId.get(3)).toMatchObject({ Price: 0.75, Qty: 41 });
        await expectGristError(
          db().updateRecords(t, [
            { id: 2, fields: { Qty: 99 } },
            { id: 999, fields: { Qty: 99 } },
          ]),
          400,
          'Invalid row id 999',
        );
        expect((await db().getRecords(t, { filter: { id: [2] } }))[0]?.fields['Qty']).toBe(1);
        await expectGristError(db().updateRecords(t, [{ id: 1, fields: { Nope: 1 } }]), 400, 'Invalid column "Nope"');
      });

      it('upserts: update on match, add otherwise, with Grist result shape (6.5)', async () => {
        const t = await goods();
        const result = await db().upsertRecords(t, [
          { require: { Name: 'pear' }, fields: { Price: 0.6 } },
          { require: { Name: 'drill' }, fields: { Category: 'tool', Price: 55 } },
        ]);
        expect(result).toEqual({ recordIds: [[3], [6]], addRecordIds: [6], updateRecordIds: [[3]] });
        const byId = new Map((await db().getRecords(t)).map((r) => [r.id, r.fields]));
        expect(byId.get(3)).toMatchObject({ Name: 'pear', Price: 0.6 });
        expect(byId.get(6)).toMatchObject({ Name: 'drill', Category: 'tool', Price: 55 });

        const none = await db().upsertRecords(t, [{ require: { Category: 'tool' }, fields: { Qty: 7 } }], { onmany: 'none' });
        expect(none.recordIds).toEqual([[]]);
        const noadd = await db().upsertRecords(t, [{ require: { Name: 'ghost' } }], { noadd: true });
        expect(noadd).toEqual({ recordIds: [[]], addRecordIds: [], updateRecordIds: [] });
        await expectGristError(
          db().upsertRecords(t, [{ require: {}, fields: { Qty: 1 } }]),
          400,
          "Error manipulating data: [Sandbox] ValueError require is empty but allow_empty_require isn't set",
        );
      });

      it('deletes records, silently ignoring missing ids (6.6)', async () => {
        const t = await goods();
        await db().deleteRecords(t, [2, 4, 998]);
        await db().deleteRecords(t, []);
        expect((await db().getRecords(t)).map((r) => r.id)).toEqual([1, 3, 5]);
      });
    });

    describe('reading records (4.1-4.4)', () => {
      it('returns all records in id order with every visible column; hidden adds manualSort (4.1)', async () => {
        const t = await goods();
        const records = await db().getRecords(t);
        expect(records.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
        expect(records[0]).toEqual({ id: 1, fields: { Name: 'hammer', Category: 'tool', Price: 12.5, Qty: 3, InStock: true } });
        const hidden = await db().getRecords(t, { hidden: true });
        expect(Object.keys(hidden[0]?.fields ?? {})).toContain('manualSort');
      });

      it('filters: AND across columns, OR within one, exact match (4.2)', async () => {
        const t = await goods();
        expect(names(await db().getRecords(t, { filter: { Category: ['tool', 'toy'] } }))).toEqual(['hammer', 'Saw', 'kite']);
        expect(names(await db().getRecords(t, { filter: { Category: ['food'], InStock: [true] } }))).toEqual(['pear', 'bread']);
        expect(await db().getRecords(t, { filter: { Price: ['12.5'] } })).toEqual([]);
        expect(await db().getRecords(t, { filter: { Category: [] } })).toEqual([]);
        expect(names(await db().getRecords(t, { filter: { id: [2, 4, 77] } }))).toEqual(['Saw', 'bread']);
        // A big filter (the HTTP backend then sends it in a POST /records/list body, not the URL).
        const many = Array.from({ length: 3000 }, (_, i) => i + 3);
        expect(names(await db().getRecords(t, { filter: { id: many }, sort: '-Price', limit: 2 }))).toEqual(['kite', 'bread']);
        await expectGristError(
          db().getRecords(t, { filter: { Nope: [1] } }),
          400,
          "Error manipulating data: [Sandbox] KeyError 'Nope'",
        );
      });

      it('sorts (case-insensitive text, descending, several keys) then limits (4.3, 4.4)', async () => {
        const t = await goods();
        expect(names(await db().getRecords(t, { sort: 'Name' }))).toEqual(['bread', 'hammer', 'kite', 'pear', 'Saw']);
        expect(names(await db().getRecords(t, { sort: ['-Price'] }))).toEqual(['Saw', 'kite', 'hammer', 'bread', 'pear']);
        expect(names(await db().getRecords(t, { sort: 'Category,-Price' }))).toEqual(['bread', 'pear', 'Saw', 'hammer', 'kite']);
        expect(names(await db().getRecords(t, { sort: '-Price', limit: 2 }))).toEqual(['Saw', 'kite']);
        expect(names(await db().getRecords(t, { limit: -2 }))).toEqual(['hammer', 'Saw', 'pear']);
        expect(await db().getRecords(t, { limit: 0 })).toHaveLength(5);
        await expectGristError(db().getRecords(t, { sort: 'Nope' }), 500, 'unknown key Nope');
      });

      it('pages by id with afterId, with and without a filter', async () => {
        const t = await goods();
        expect((await db().getRecords(t, { afterId: 2, limit: 2 })).map((r) => r.id)).toEqual([3, 4]);
        expect((await db().getRecords(t, { afterId: 3 })).map((r) => r.id)).toEqual([4, 5]);
        expect(await db().getRecords(t, { afterId: 5, limit: 10 })).toEqual([]);
        // With a filter a page may be short, but never holds a row at or before afterId or out of the filter.
        const page = await db().getRecords(t, { afterId: 1, limit: 3, filter: { Category: ['tool', 'food'] } });
        expect(page.every((r) => r.id > 1 && ['tool', 'food'].includes(String(r.fields['Category'])))).toBe(true);
        expect(page.map((r) => r.id)).toEqual(page.map((r) => r.id).sort((a, b) => a - b));
        expect(page.length).toBeGreaterThan(0);
        await expectGristError(db().getRecords('Nope', { afterId: 0, limit: 1 }), 404, 'Table not found "Nope"');
      });

      it('iterates a large table page by page, every row exactly once, in id order', async () => {
        const t = await table('Many', { N: 'Int', Even: 'Bool' });
        const total = 6003;
        await db().addRecords(t, Array.from({ length: total }, (_, i) => ({ fields: { N: i, Even: i % 2 === 0 } })));
        const seen: number[] = [];
        let batches = 0;
        for await (const batch of db().iterateRecords(t)) {
          batches += 1;
          for (const r of batch) seen.push(r.id);
        }
        expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
        expect(batches).toBeGreaterThanOrEqual(1);

        const filtered: GristRecord[] = [];
        for await (const batch of db().iterateRecords(t, { filter: { Even: [false] }, limit: 3001 })) filtered.push(...batch);
        expect(filtered.length).toBe(3001);
        expect(filtered.every((r) => r.fields['Even'] === false)).toBe(true);
        expect(filtered[3000]?.id).toBe(6002);

        // Gaps in the ids (deleted rows) are skipped, nothing else is.
        await db().deleteRecords(t, [...Array.from({ length: 2500 }, (_, i) => 1501 + i), 5000, 6003]);
        const expected = (await db().getRecords(t)).map((r) => r.id);
        expect(expected).toHaveLength(total - 2502);
        const sparse: number[] = [];
        for await (const batch of db().iterateRecords(t)) for (const r of batch) sparse.push(r.id);
        expect(sparse).toEqual(expected);

        const tail: number[] = [];
        for await (const batch of db().iterateRecords(t, { afterId: 5990 })) for (const r of batch) tail.push(r.id);
        expect(tail).toEqual(Array.from({ length: 12 }, (_, i) => 5991 + i));
      });
    });

    describe('paging (keyset, sorted)', () => {
      it('decodes paged reads exactly as GET /records encodes them, every type, hidden columns too (4.1, 5.2, 7.4)', async () => {
        const target = await table('Target', { Label: 'Text' });
        const t = await table('Types', {
          Text: 'Text', Num: 'Numeric', Int: 'Int', Ok: 'Bool', Day: 'Date', When: 'DateTime:UTC', Pick: 'Choice',
          Tags: 'ChoiceList', Link: `Ref:${target}`, Links: `RefList:${target}`, Files: 'Attachments', Free: 'Any',
        });
        await db().addRecords(t, [
          { fields: { Text: 'plain', Num: 2.5, Int: 3, Ok: true, Day: 1705276800, When: 1705314645.5, Pick: 'Red', Tags: ['L', 'a', 'b'], Link: 1, Links: ['L', 1, 2], Files: ['L', 1], Free: ['L', 1, 'x'] } },
          { fields: { Text: '', Num: 0, Int: 0, Ok: false, Day: null, When: null, Pick: '', Tags: ['L'], Link: 0, Links: null, Files: null, Free: true } },
          { fields: { Text: 'Grüße, "quotes" [1,2]', Num: 'abc', Int: '7x', Ok: 'maybe', Day: '01/15/2024', When: 'not a date', Tags: '[nope', Free: 'text' } },
          { fields: { Text: null, Num: null, Int: null, Ok: null, Free: 42.5 } },
        ]);
        const whole = await db().getRecords(t);
        expect(await db().getRecords(t, { afterId: 0, limit: 100 })).toEqual(whole);
        expect(await db().getRecords(t, { afterId: 1, limit: 2 })).toEqual(whole.slice(1, 3));
        expect(await db().getRecords(t, { afterId: 0, limit: 100, hidden: true })).toEqual(await db().getRecords(t, { hidden: true }));
        for (const filter of [{ Ok: [true] }, { Num: [2.5, 0] }, { Text: ['plain', ''] }, { Num: ['abc'] }, { Link: [0] }, { Tags: [['L', 'a', 'b']] }, { Free: [true] }, { Text: [null] }] as Record<string, CellValue[]>[]) {
          expect(await db().getRecords(t, { afterId: 0, limit: 100, filter }), JSON.stringify(filter)).toEqual(await db().getRecords(t, { filter }));
        }
      });

      it('pages a 20,000-row table in sorted orders: every row exactly once, in Grist\'s order (4.3)', async () => {
        const t = await table('Sorted', { Name: 'Text', Price: 'Numeric', Ok: 'Bool', Day: 'Date', Word: 'Text', Qty: 'Int' });
        const names = ['apple', 'Apple', 'APPLE', 'banana', "O'Brien", 'smith-jones', 'St. Louis', 'a b', 'ab', '_x', 'x_', 'Zed', 'zed', '10', '9', '', 'item 2', 'item10', '$5', '(paren)', 'a.b', 'a,b', 'A;B', '~tilde', 'quote"d'];
        const words = ['émile', 'Eve', 'zoë', 'Zoe', 'ñandú', 'nandu', 'ábc', 'abc'];
        const total = 20_000;
        const rows = Array.from({ length: total }, (_, i) => ({
          fields: {
            Name: i % 97 === 0 ? null : `${names[(i * 7) % names.length] ?? ''}${i % 5 === 0 ? '' : ` ${i % 13}`}`,
            Price: i % 89 === 0 ? null : ((i * 37) % 1000) / 4,
            Ok: i % 3 === 0,
            Day: i % 11 === 0 ? null : 1700000000 + ((i * 7919) % 500) * 86400,
            Word: words[i % words.length] ?? '',
            Qty: (i * 31) % 50,
          } as Fields,
        }));
        expect(await db().addRecords(t, rows)).toHaveLength(total);
        // Backends without a page reader sort the whole table per page: few, large pages keep this quick.
        const pageSize = db().sortedPage ? 2500 : 5000;
        for (const sort of ['Name', '-Price,Name', 'Ok,-Day,-Name', 'Word,Qty', 'Name:naturalSort']) {
          const expected = (await db().getRecords(t, { sort })).map((r) => r.id);
          const q = queryKey(t, undefined, sort);
          const seen: number[] = [];
          let cursor: string | null = null;
          for (let pages = 0; pages < 100; pages++) {
            const state = cursor === null ? undefined : decodeCursor(cursor, q);
            const page = await pageSorted(db(), t, undefined, sort, state, pageSize, q);
            seen.push(...page.records.map((r) => r.id));
            cursor = page.next;
            if (cursor === null) break;
          }
          expect(seen.length, sort).toBe(total);
          expect(new Set(seen).size, sort).toBe(total);
          expect(seen, sort).toEqual(expected);
        }
        // Smaller pages (the HTTP backend reads the positions of ten of them at once, then rows by id).
        for (const sort of ['-Price,Name', 'Ok,-Day,-Name']) {
          const expected = (await db().getRecords(t, { sort })).map((r) => r.id);
          const q = queryKey(t, undefined, sort);
          const seen: number[] = [];
          let state;
          for (let pages = 0; pages < 100; pages++) {
            const page = await pageSorted(db(), t, undefined, sort, state, 997, q);
            seen.push(...page.records.map((r) => r.id));
            if (page.next === null) break;
            state = decodeCursor(page.next, q);
          }
          expect(seen, sort).toEqual(expected);
        }
        // A filtered sorted read pages the same way.
        const filter = { Ok: [true] };
        const expected = (await db().getRecords(t, { sort: '-Price,Name', filter })).map((r) => r.id);
        const q = queryKey(t, filter, '-Price,Name');
        const seen: number[] = [];
        let state;
        for (let pages = 0; pages < 100; pages++) {
          const page = await pageSorted(db(), t, filter, '-Price,Name', state, pageSize, q);
          seen.push(...page.records.map((r) => r.id));
          if (page.next === null) break;
          state = decodeCursor(page.next, q);
        }
        expect(seen).toEqual(expected);
        // Backends with a page reader use it for these sorts (no whole-table read per page).
        if (db().sortedPage) {
          for (const sort of ['Name', '-Price,Name', 'Ok,-Day,-Name', '-Qty']) {
            expect(await db().sortedPage?.(t, { sort, limit: 10 }), sort).toBeDefined();
          }
          expect(await db().sortedPage?.(t, { sort: 'Word', limit: 10 })).toBeUndefined(); // non-ASCII text: exactness first
        }
      }, 300_000);

      it('keeps Grist\'s order when values change between sorted pages (upper case, punctuation, non-ASCII, numbers) (4.3)', async () => {
        for (const [sort, added] of [
          ['-Price,Name', [{ Price: null, Name: 'n 1' }, { Price: 50, Name: 'A' }]],
          ['Name', [{ Name: 'N 5' }, { Name: 'n-7' }, { Name: 'N 9x' }]],
          ['Name', [{ Name: 'n ñ' }, { Name: 'N 99' }]],
          ['-Price', [{ Price: 'abc' }, { Price: 99.5 }]],
        ] as [string, Fields[]][]) {
          // A fresh table each time: lower-case ASCII names, numbers.
          const t = await table('Drift', { Name: 'Text', Price: 'Numeric' });
          await db().addRecords(t, Array.from({ length: 300 }, (_, i) => ({ fields: { Name: `n ${i % 150}`, Price: (i * 7) % 100 } })));
          const q = queryKey(t, undefined, sort);
          const first = await pageSorted(db(), t, undefined, sort, undefined, 100, q);
          expect(first.records.map((r) => r.id), sort).toEqual((await db().getRecords(t, { sort })).slice(0, 100).map((r) => r.id));
          // A write between pages (values the first page's statement never saw): the rest follows Grist's new order.
          await db().addRecords(t, added.map((fields) => ({ fields })));
          const now = (await db().getRecords(t, { sort })).map((r) => r.id);
          const expected = now.slice(now.indexOf(first.records.at(-1)?.id ?? -1) + 1);
          const seen: number[] = [];
          let cursor = first.next;
          for (let pages = 0; cursor !== null && pages < 20; pages++) {
            const page = await pageSorted(db(), t, undefined, sort, decodeCursor(cursor, q), 100, q);
            seen.push(...page.records.map((r) => r.id));
            cursor = page.next;
          }
          expect(seen, sort).toEqual(expected);
        }
      }, 120_000);
    });

    describe('sql (7)', () => {
      it('runs a SELECT with args and returns storage values', async () => {
        const t = await goods();
        const result = await db().sql(`SELECT Name, Price, InStock FROM ${t} WHERE Qty > ? ORDER BY id`, { args: [2] });
        expect(result.statement).toBe(`SELECT Name, Price, InStock FROM ${t} WHERE Qty > ? ORDER BY id`);
        expect(result.records).toEqual([
          { fields: { Name: 'hammer', Price: 12.5, InStock: 1 } },
          { fields: { Name: 'pear', Price: 0.5, InStock: 1 } },
          { fields: { Name: 'bread', Price: 2.25, InStock: 1 } },
        ]);
      });

      it('accepts a timeout below the server maximum', async () => {
        expect((await db().sql('SELECT 1 AS one, ? AS two', { args: ['x'], timeoutMs: 500 })).records).toEqual([{ fields: { one: 1, two: 'x' } }]);
      });

      it("answers non-finite reals (SQLite's Inf, NaN) as null, as Grist's JSON answer does", async () => {
        expect((await db().sql('SELECT 1e999 AS x, -1e999 AS y, 0.0/0 AS z')).records).toEqual([{ fields: { x: null, y: null, z: null } }]);
      });

      it('refuses anything but one SELECT, and reports SQLite errors', async () => {
        await expectGristError(db().sql('DELETE FROM Foo'), 400, 'only select statements are supported');
        await expectGristError(db().sql('SELECT * FROM NoSuchTable'), 400, 'SQLITE_ERROR: no such table: NoSuchTable');
        await expectGristError(db().sql('SELECT 1; SELECT 2'), 400, 'SQLITE_ERROR: near ";": syntax error');
      });

      it('stops a query at its time limit with a 400 that callers must not retry', async () => {
        const endless = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) AS n FROM c';
        const err = await expectGristError(db().sql(endless, { timeoutMs: 200 }), 400, 'a slow statement resulted in a database interrupt');
        // The query is too slow: the caller's to change, so a 4xx on the proxy, never a 5xx a client would retry.
        const mapped = fromGristError(err);
        expect([mapped.code, mapped.status]).toEqual(['GRIST_ERROR', 400]);
        expect((await db().sql('SELECT 1 AS one')).records).toEqual([{ fields: { one: 1 } }]);
      }, 30_000);
    });

    describe('attachments (8)', () => {
      it('uploads, lists, describes and downloads attachments', async () => {
        const hello = new TextEncoder().encode('hello world!');
        const ids = await db().uploadAttachments([
          { fileName: 'hello.txt', data: hello },
          { fileName: 'data.csv', data: new TextEncoder().encode('a,b\n1,2\n') },
        ]);
        expect(ids).toHaveLength(2);
        const [first, second] = ids as [number, number];
        expect(second).toBe(first + 1);

        const meta = await db().getAttachmentMetadata(first);
        expect(meta).toMatchObject({ fileName: 'hello.txt', fileSize: 12 });
        expect(meta.timeUploaded).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

        const listed = await db().listAttachments();
        expect(listed.filter((a) => ids.includes(a.id)).map((a) => a.fields.fileName)).toEqual(['hello.txt', 'data.csv']);
        const after = await db().listAttachments({ afterId: first });
        expect(after.map((a) => a.id)).toContain(second);
        expect(after.map((a) => a.id)).not.toContain(first);

        const download = await db().downloadAttachment(first);
        expect(download.fileName).toBe('hello.txt');
        expect(download.contentType).toBe('text/plain; charset=utf-8');
        expect(download.size).toBe(12);
        expect(new TextDecoder().decode(new Uint8Array(await new Response(download.body).arrayBuffer()))).toBe('hello world!');

        await expectGristError(db().getAttachmentMetadata(99999), 404, 'Attachment not found: 99999');
        await expectGristError(db().downloadAttachment(99999), 404, 'Attachment not found: 99999');
      });
    });
  });
}
