/**
 * The SQL filter pushdown (filter-sql.ts), the early-stopping limit and the rank-based sort (sort-index.ts)
 * change no result: on randomized tables holding every column type and awkward values (Bool vs Int vs
 * Numeric, null, '', lists, alt text, error cells, big numbers, formula columns), filtered/sorted/limited
 * reads are compared with a plain JS reference computed from the unfiltered, unsorted read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { CellValue, GetRecordsOptions, GristRecord } from '../backend/types.js';
import { EmbeddedDocument } from './document.js';
import { makeRowComparator, parseSort, type SortKey } from './sort.js';
import { pythonLoadMs } from './formulas/runtime.js';
import { seededRandom } from '../../test/helpers/random.js';

// Formulas load Python once per process (seconds on a busy machine): not inside a test's time limit.
beforeAll(async () => { await pythonLoadMs(); }, 180_000);

const CHOICES = ['red', 'green', 'blue'];

const rng = seededRandom;

/** Values written into every column: they become numbers, booleans, alt text, lists and BLOBs. */
const POOL: CellValue[] = [
  null, '', 0, 1, -1, 2, 2.5, -0, 1e-7, 2 ** 53, 5, 3, 'x', 'maybe', 'plain', 2 ** 53 + 2, 1_600_000_000, true, false, 'a', 'A', '1', '2.5', 'True',
  'false', 'red', 'blue', 'x\u0000y', ' 1', 'item10', 'Item2', '[1,2]', ['L', 'a'], ['L', 1, 2], ['L'], ['E', 'ValueError'],
  ['d', 86400], ['O', { k: 1 }], ['R', 'People', 1],
];

/** Data columns of every type written to; `Calc` (formula) and `Blank` (empty formula) are never written. */
const DATA_COLUMNS: [string, string][] = [
  ['Txt', 'Text'], ['Num', 'Numeric'], ['Cnt', 'Int'], ['Flag', 'Bool'], ['Day', 'Date'], ['Stamp', 'DateTime:UTC'],
  ['Pick', 'Choice'], ['Picks', 'ChoiceList'], ['Who', 'Ref:People'], ['Whos', 'RefList:People'], ['Anything', 'Any'],
  ['Files', 'Attachments'],
];
const ALL_COLUMNS = ['id', 'manualSort', ...DATA_COLUMNS.map(([c]) => c), 'Calc', 'Blank'];

let dir: string;
let doc: EmbeddedDocument;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-pushdown-'));
  doc = EmbeddedDocument.create(path.join(dir, 'doc.grist'));
  await doc.createTables([
    { id: 'People', columns: [{ id: 'Name', fields: { type: 'Text' } }] },
    { id: 'Mix', columns: [
      ...DATA_COLUMNS.map(([id, type]) => ({
        id, fields: { type, ...(type.startsWith('Choice') ? { widgetOptions: JSON.stringify({ choices: CHOICES }) } : {}) },
      })),
      { id: 'Calc', fields: { type: 'Numeric', isFormula: true, formula: '$Num * 2' } },
      { id: 'Blank', fields: { type: 'Any', isFormula: true, formula: '' } },
    ] },
  ]);
  await doc.addRecords('People', [{ fields: { Name: 'Ann' } }, { fields: { Name: 'Bob' } }]);
});
afterEach(async () => {
  await doc.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

/**
 * Stored values our own writes never produce but a document file may hold (written by another tool):
 * Bool cells of 2/-1/0.0/1.5, integers beyond 2^53 (read lossily), numbers in Text columns, reals where
 * integers are usual, list-looking text, and values under formula columns (whose reads ignore them).
 */
const RAW_VALUES: Record<string, unknown[]> = {
  Flag: [2, -1, 0.0, 1.5, 'maybe', 9007199254740993n, 1.0],
  Num: [9007199254740993n, 1.0, -0.0, 'abc'],
  Cnt: [9007199254740993n, 3.0, 2],
  Txt: [5, 1.0, 0],
  Picks: ['["red"]', 'plain', '[', 1],
  Calc: [3, 'x', null],
  Blank: ['x', 5, 0],
  Who: [1.0, 2, 'Ann'],
};

/** Writes {@link RAW_VALUES} straight into the SQLite file under a few random rows, then reopens it. */
async function injectRaw(r: () => number): Promise<void> {
  const file = doc.path;
  await doc.close();
  const db = new Database(file);
  try {
    db.defaultSafeIntegers(true);
    const ids = (db.prepare('SELECT id FROM Mix').pluck().all() as bigint[]).map(Number);
    for (const [colId, values] of Object.entries(RAW_VALUES)) {
      const stmt = db.prepare(`UPDATE Mix SET "${colId}" = ? WHERE id = ?`);
      for (let k = 0; k < 12; k++) { stmt.run(pick(r, values), pick(r, ids)); }
    }
  } finally {
    db.close();
  }
  doc = EmbeddedDocument.open(file);
}

async function seed(r: () => number, rows: number): Promise<void> {
  const records = Array.from({ length: rows }, () => {
    const fields: Record<string, CellValue> = {};
    for (const [colId] of DATA_COLUMNS) {
      // Mostly values of a small pool so that filters match several rows; sometimes anything.
      if (r() < 0.85) { fields[colId] = pick(r, POOL); }
    }
    if (r() < 0.3) { fields.manualSort = pick(r, [1, 2, 3, 2.5]); }
    return { fields };
  });
  await doc.addRecords('Mix', records);
  // Gaps in ids, so that id filters and afterId meet missing rows.
  await doc.deleteRecords('Mix', [3, 7, 8]);
  await injectRaw(r);
}

/** A cell as the reference sees it: `undefined` for an error cell (which never matches). */
function cellOf(rec: GristRecord, colId: string): CellValue | undefined {
  if (colId === 'id') { return rec.id; }
  if (rec.errors?.[colId] !== undefined) { return undefined; }
  return rec.fields[colId] ?? null;
}

/** The plain JS filter: every column's decoded value is one of its listed primitive values (SameValueZero). */
function referenceFilter(all: readonly GristRecord[], filter: Record<string, CellValue[]>): GristRecord[] {
  return all.filter((rec) => Object.entries(filter).every(([colId, values]) => {
    const v = cellOf(rec, colId);
    // Python equality, as Grist filters: True == 1, False == 0, 1 == 1.0.
    const key = (x: unknown) => (typeof x === 'boolean' ? Number(x) : x);
    return v !== undefined && (v === null || typeof v !== 'object') && values.some((w) => (w === null || typeof w !== 'object') && key(w) === key(v));
  }));
}

/** Python-equal variants of a value, so Bool/Int/Numeric/text cross-matches are asked for. */
function variants(v: CellValue | undefined): CellValue[] {
  if (v === true) { return [true, 1, 1.0, 'True', 'true']; }
  if (v === false) { return [false, 0, -0, '', 'False']; }
  if (typeof v === 'number') { return [v, String(v), ...(v === 1 ? [true] : v === 0 ? [false, null] : [])]; }
  if (typeof v === 'string') { return [v, v.toUpperCase(), ...(v !== '' && Number.isFinite(Number(v)) ? [Number(v)] : [])]; }
  if (v === null) { return [null, '', 0, false]; }
  return v === undefined ? [] : [v];
}

function randomFilter(r: () => number, all: readonly GristRecord[]): Record<string, CellValue[]> {
  const filter: Record<string, CellValue[]> = {};
  const ncols = r() < 0.7 ? 1 : 2;
  for (let k = 0; k < ncols; k++) {
    const colId = pick(r, ALL_COLUMNS);
    const values: CellValue[] = [];
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      const roll = r();
      if (roll < 0.5 && all.length) { values.push(...variants(cellOf(pick(r, all), colId)).filter(() => r() < 0.6)); }
      else if (roll < 0.9) { values.push(pick(r, POOL)); }
      else { values.push(pick(r, [Math.floor(r() * 60), 1e300, -1e-300, 'zzz', 2 ** 53 + 1])); }
    }
    filter[colId] = values;
  }
  return filter;
}

/** Grist's order by the old comparator (compareCells per comparison), as the reference for sorts. */
function referenceSort(rows: readonly GristRecord[], sort: string[]): GristRecord[] {
  const choicesFor = (key: SortKey): readonly string[] | undefined =>
    (key.col === 'Pick' || key.col === 'Picks' ? CHOICES : undefined);
  const cmp = makeRowComparator<GristRecord>(
    parseSort(sort),
    (rec, key) => (rec.errors?.[key.col as string] !== undefined ? null : key.col === 'id' ? rec.id : rec.fields[key.col as string] ?? null),
    (a, b) => {
      const ma = a.fields.manualSort, mb = b.fields.manualSort;
      if (typeof ma === 'number' && typeof mb === 'number' && ma !== mb) { return ma - mb; }
      return a.id - b.id;
    },
    choicesFor,
  );
  return [...rows].sort(cmp);
}

function randomSort(r: () => number): string[] {
  const keys: string[] = [];
  const n = 1 + Math.floor(r() * 2);
  for (let i = 0; i < n; i++) {
    const flags = ['naturalSort', 'emptyLast', 'orderByChoice'].filter(() => r() < 0.25);
    keys.push(`${r() < 0.5 ? '-' : ''}${pick(r, ALL_COLUMNS)}${flags.length ? `:${flags.join(';')}` : ''}`);
  }
  return keys;
}

function limitOf(rows: readonly GristRecord[], limit: number): GristRecord[] {
  if (limit === 0) { return [...rows]; }
  return limit > 0 ? rows.slice(0, limit) : rows.slice(0, Math.max(0, rows.length + limit));
}

async function iterated(options: GetRecordsOptions): Promise<GristRecord[]> {
  const out: GristRecord[] = [];
  for await (const batch of doc.iterateRecords('Mix', options)) { out.push(...batch); }
  return out;
}

describe('filter pushdown, limits and sorts change no result', () => {
  for (const s of [1, 2, 3, 4]) {
    test(`random table and reads, seed ${s}`, async () => {
      const r = rng(s);
      await seed(r, 120 + Math.floor(r() * 200));
      const all = await doc.getRecords('Mix', { hidden: true });
      expect(all.length).toBeGreaterThan(100);
      // The data really is mixed: booleans next to numbers next to text, and error cells.
      const kinds = new Set(all.map((rec) => typeof rec.fields.Anything));
      expect([...kinds].sort()).toEqual(['boolean', 'number', 'object', 'string']);
      expect(all.some((rec) => rec.errors?.Txt)).toBe(true);
      let nonEmpty = 0;
      for (let q = 0; q < 120; q++) {
        const filter = randomFilter(r, all);
        const expected = referenceFilter(all, filter);
        if (expected.length > 0) { nonEmpty++; }
        const label = JSON.stringify(filter);
        expect(await doc.getRecords('Mix', { filter, hidden: true }), label).toEqual(expected);

        const limit = pick(r, [0, 1, 5, -3, 50]);
        const afterId = r() < 0.3 ? pick(r, [0, 5, 60, 1000]) : undefined;
        const base = afterId === undefined ? expected : expected.filter((rec) => rec.id > afterId);
        const opts: GetRecordsOptions = { filter, hidden: true, limit, ...(afterId === undefined ? {} : { afterId }) };
        expect(await doc.getRecords('Mix', opts), `${label} limit ${limit} afterId ${afterId}`).toEqual(limitOf(base, limit));
        expect(await iterated(opts), `iterate ${label}`).toEqual(limitOf(base, limit));

        const sort = randomSort(r);
        const sorted = limitOf(referenceSort(base, sort), limit);
        const sortedOpts = { ...opts, sort };
        expect(await doc.getRecords('Mix', sortedOpts), `${label} sort ${sort.join(',')} limit ${limit}`).toEqual(sorted);
        expect(await iterated(sortedOpts), `iterate ${label} sort ${sort.join(',')}`).toEqual(sorted);
      }
      // The random filters are not all trivially empty.
      expect(nonEmpty).toBeGreaterThan(30);
    });
  }

  test('Bool vs Int vs Numeric, null and empty text match exactly as the JS check decides', async () => {
    await doc.addRecords('Mix', [
      { fields: { Flag: true, Cnt: 1, Num: 1, Txt: '1', Anything: true } },
      { fields: { Flag: false, Cnt: 0, Num: 0, Txt: '', Anything: 0 } },
      { fields: { Flag: 'yes please', Cnt: null, Num: null, Txt: 'True', Anything: null } },
    ]);
    const all = await doc.getRecords('Mix');
    const cases: Record<string, CellValue[]>[] = [
      { Flag: [true] }, { Flag: [1] }, { Flag: [false] }, { Flag: [0] }, { Flag: ['yes please'] }, { Flag: [null] },
      { Cnt: [true] }, { Cnt: [1.0] }, { Cnt: [null] }, { Cnt: [0, false] }, { Num: [1] }, { Num: ['1'] },
      { Txt: [''] }, { Txt: [1] }, { Txt: ['True', true] }, { Anything: [true] }, { Anything: [1] }, { Anything: [0] },
      { Anything: [null] }, { Calc: [null] }, { Blank: [null] }, { Blank: [''] }, { id: [1, '2', 3.5, true] }, { id: [] },
    ];
    for (const filter of cases) {
      expect(await doc.getRecords('Mix', { filter }), JSON.stringify(filter)).toEqual(referenceFilter(all, filter));
    }
    // Spot checks of the reference itself, so that this test cannot pass with a broken reference.
    expect(referenceFilter(all, { Flag: [true] }).map((x) => x.id)).toEqual([1]);
    expect(referenceFilter(all, { Flag: ['yes please'] }).map((x) => x.id)).toEqual([3]);
    expect(referenceFilter(all, { Num: [1] }).map((x) => x.id)).toEqual([1]);
    expect(referenceFilter(all, { id: [1, '2', 3.5, true] }).map((x) => x.id)).toEqual([1]);
    // Grist filters with Python equality: True == 1, False == 0 (and text never equals a number).
    const ids = async (filter: Record<string, CellValue[]>) => (await doc.getRecords('Mix', { filter })).map((x) => x.id);
    expect(await ids({ Flag: [1] })).toEqual([1]);
    expect(await ids({ Flag: [0] })).toEqual([2]);
    expect(await ids({ Cnt: [true] })).toEqual([1]);
    expect(await ids({ Cnt: [false] })).toEqual([2]);
    expect(await ids({ Txt: [1] })).toEqual([]);
  });

  test('an id filter longer than SQLite\'s parameter limit', async () => {
    await doc.addRecords('People', Array.from({ length: 2000 }, (_, i) => ({ fields: { Name: `p${i}` } })));
    const wanted = Array.from({ length: 40_000 }, (_, i) => i * 3 + 1);
    const got = await doc.getRecords('People', { filter: { id: wanted } });
    expect(got.map((x) => x.id)).toEqual(Array.from({ length: 2002 }, (_, i) => i + 1).filter((id) => id % 3 === 1));
  });
});
