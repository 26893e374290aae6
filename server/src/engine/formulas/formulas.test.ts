/**
 * Formulas on a real embedded document with the real Python runtime (Pyodide in a worker thread): the
 * environment (records, references, lookups, conversions, Grist functions), stored values, recalculation
 * of only what a write affects, trigger formulas, renames and removals, and the safety limits.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { CellValue } from '../../backend/types.js';
import { EmbeddedDocument } from '../document.js';
import { configureFormulaRuntime, formulaRuntimeRunning, formulaRuntimeStarts, pythonLoadMs, stopFormulaRuntime } from './runtime.js';

// Python loads once per process (seconds on a busy machine): not inside a test's time limit.
beforeAll(async () => { await pythonLoadMs(); }, 180_000);

let doc: EmbeddedDocument;
beforeEach(async () => {
  doc = EmbeddedDocument.create(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'engine-formulas-')), 'doc.grist'));
  await doc.createTables([
    { id: 'People', columns: [{ id: 'Name', fields: { type: 'Text' } }, { id: 'Born', fields: { type: 'Date' } }] },
    { id: 'Projects', columns: [{ id: 'Title', fields: { type: 'Text' } }, { id: 'Lead', fields: { type: 'Ref:People' } }] },
    { id: 'Tasks', columns: [
      { id: 'Project', fields: { type: 'Ref:Projects' } }, { id: 'Hours', fields: { type: 'Numeric' } },
      { id: 'Tags', fields: { type: 'ChoiceList' } }, { id: 'Done', fields: { type: 'Bool' } },
      { id: 'At', fields: { type: 'DateTime:America/New_York' } },
    ] },
  ]);
  await doc.addRecords('People', [{ fields: { Name: 'Ada Lovelace', Born: -4728441600 } }, { fields: { Name: 'Alan', Born: null } }]);
  await doc.addRecords('Projects', [{ fields: { Title: 'Engine', Lead: 1 } }, { fields: { Title: 'Bombe', Lead: 2 } }, { fields: { Title: 'Orphan', Lead: 0 } }]);
  await doc.addRecords('Tasks', [
    { fields: { Project: 1, Hours: 3, Tags: ['L', 'a', 'b'], Done: true, At: 1704067200 } },
    { fields: { Project: 1, Hours: 4.5, Tags: null, Done: false, At: 1719792000 } },
    { fields: { Project: 2, Hours: 2, Tags: ['L', 'c'], Done: false, At: null } },
  ]);
});
afterEach(async () => { await doc.close(); });
afterAll(async () => { await stopFormulaRuntime(); });

/** Adds formula columns of `type` to `table` and returns their values by row id. */
async function formulas(table: string, cols: Record<string, [type: string, formula: string]>): Promise<Record<string, CellValue[]>> {
  await doc.addColumns(table, Object.entries(cols).map(([id, [type, formula]]) => ({ id, fields: { type, isFormula: true, formula } })));
  return valuesOf(table, Object.keys(cols));
}

/** Values of columns (error cells as `["E", name]`), per column in row order. */
async function valuesOf(table: string, cols: string[]): Promise<Record<string, CellValue[]>> {
  const rows = await doc.getRecordsRaw(table);
  return Object.fromEntries(cols.map((c) => [c, rows.map((r) => r.fields[c] as CellValue)]));
}

describe('the formula environment', () => {
  test('$Col, rec.Col, $id, references, chains and empty references', async () => {
    const v = await formulas('Projects', {
      LeadName: ['Text', '$Lead.Name'], Rec: ['Text', 'rec.Title + "#" + str($id)'], Chain: ['Any', '$Lead.Born'],
      Empty: ['Any', '[$Lead.Name, $Lead.id, bool($Lead)]'],
    });
    expect(v.LeadName).toEqual(['Ada Lovelace', 'Alan', '']);
    expect(v.Rec).toEqual(['Engine#1', 'Bombe#2', 'Orphan#3']);
    expect(v.Empty).toEqual([['L', 'Ada Lovelace', 1, true], ['L', 'Alan', 2, true], ['L', '', 0, false]]);
    const t = await formulas('Tasks', { Lead: ['Text', '$Project.Lead.Name'] });
    expect(t.Lead).toEqual(['Ada Lovelace', 'Ada Lovelace', 'Alan']);
  });

  test('lookupRecords / lookupOne / all, record sets, sort_by, RefList formulas', async () => {
    const v = await formulas('Projects', {
      Tasks: ['RefList:Tasks', 'Tasks.lookupRecords(Project=$id)'],
      Hours: ['Numeric', 'SUM($Tasks.Hours)'],
      Count: ['Int', 'len(Tasks.lookupRecords(Project=$id))'],
      Longest: ['Numeric', 'Tasks.lookupRecords(Project=$id, sort_by="-Hours")[0].Hours if $Tasks else None'],
      First: ['Int', 'Tasks.lookupOne(Project=$id).id'],
      All: ['Int', 'len(Projects.all)'],
      Iter: ['Any', '[t.id for t in $Tasks]'],
    });
    expect(v.Tasks).toEqual([['L', 1, 2], ['L', 3], ['L']]);
    expect(v.Hours).toEqual([7.5, 2, 0]);
    expect(v.Count).toEqual([2, 1, 0]);
    expect(v.Longest).toEqual([4.5, 2, null]);
    expect(v.First).toEqual([1, 3, 0]);
    expect(v.All).toEqual([3, 3, 3]);
    expect(v.Iter).toEqual([['L', 1, 2], ['L', 3], ['L']]);
  });

  test('cell values as Grist gives them to Python', async () => {
    const v = await formulas('Tasks', {
      Types: ['Any', '" ".join(type(x).__name__ for x in ($Hours, $Tags, $Done, $At, $Project))'.replace('__name__', 'mro()[0].mro')],
      Tags2: ['Any', 'list($Tags)'],
      IsTuple: ['Bool', 'isinstance($Tags, tuple) or $Tags is None'],
      Hour: ['Any', '$At.hour if $At else None'],
      Tz: ['Any', '$At.utcoffset().total_seconds() / 3600 if $At else None'],
      Year: ['Int', 'YEAR($Project.Lead.Born)'],
    });
    expect(v.Tags2).toEqual([['L', 'a', 'b'], ['E', 'TypeError'], ['L', 'c']]);
    expect(v.IsTuple).toEqual([true, true, true]);
    // 2024-01-01T00:00Z is 19:00 the day before in New York (UTC-5); 2024-07-01T00:00Z is 20:00 (UTC-4).
    expect(v.Hour).toEqual([19, 20, null]);
    expect(v.Tz).toEqual([-5, -4, null]);
    expect(v.Year).toEqual([1820, 1820, ['E', 'ValueError']]);
  });

  test('multi-line formulas with return; Python exceptions become error cells', async () => {
    const v = await formulas('People', {
      Initials: ['Text', 'parts = $Name.split()\nreturn "".join(p[0] for p in parts)'],
      Last: ['Text', 'if " " in $Name:\n  return $Name.split()[1]\nreturn None'],
      Div: ['Numeric', '1 / 0'],
      Bad: ['Any', '$Name +'],
      Missing: ['Any', '$Nope'],
      Key: ['Any', '{}["x"]'],
    });
    expect(v.Initials).toEqual(['AL', 'A']);
    expect(v.Last).toEqual(['Lovelace', null]);
    expect(v.Div).toEqual([['E', 'ZeroDivisionError'], ['E', 'ZeroDivisionError']]);
    expect(v.Bad).toEqual([['E', 'SyntaxError'], ['E', 'SyntaxError']]);
    expect(v.Missing).toEqual([['E', 'AttributeError'], ['E', 'AttributeError']]);
    expect(v.Key).toEqual([['E', 'KeyError'], ['E', 'KeyError']]);
  });

  test('Grist functions', async () => {
    const cases: [string, CellValue][] = [
      ['SUM(1, [2, 3], None, "x")', 6], ['AVERAGE([1, 2, 3, 4])', 2.5], ['MIN(3, 1, 2)', 1], ['MAX([3, 7], 2)', 7],
      ['COUNT([1, "a", 2.5, None])', 2], ['ROUND(2.5)', 3], ['ROUND(-2.5)', -3], ['ROUND(1.005, 2)', 1.01],
      ['ROUNDUP(3.2)', 4], ['ROUNDDOWN(-3.7)', -3], ['INT(-2.5)', -3], ['ABS(-4)', 4], ['IF(1 > 2, "y", "n")', 'n'],
      ['AND(True, 1)', true], ['OR(False, 0)', false], ['NOT(0)', true], ['ISBLANK("")', true], ['LEN("abc")', 3],
      ['UPPER("ab")', 'AB'], ['LOWER("AB")', 'ab'], ['PROPER("ada lovelace")', 'Ada Lovelace'], ['TRIM("  a   b ")', 'a b'],
      ['CONCAT("a", 1, True)', 'a1TRUE'], ['LEFT("hello", 2)', 'he'], ['RIGHT("hello", 3)', 'llo'], ['MID("hello", 2, 3)', 'ell'],
      ['SUBSTITUTE("aaa", "a", "b", 2)', 'aba'], ['FIND("l", "hello")', 3], ['FIXED(1234.567, 1)', '1,234.6'],
      ['VALUE("1,000")', 1000], ['REGEXEXTRACT("abc123", r"\\d+")', '123'], ['REGEXREPLACE("a1b2", r"\\d", "#")', 'a#b#'],
      ['DATE(2024, 14, 1).isoformat()', '2025-02-01'], ['YEAR(DATE(2024, 3, 5))', 2024], ['MONTH(DATE(2024, 3, 5))', 3],
      ['DAY(DATE(2024, 3, 5))', 5], ['WEEKDAY(DATE(2024, 3, 5))', 3], ['DATEADD(DATE(2024, 1, 31), months=1).isoformat()', '2024-02-29'],
      ['DAYS(DATE(2024, 3, 1), DATE(2024, 2, 1))', 29], ['EDATE(DATE(2024, 1, 31), 1).isoformat()', '2024-02-29'],
      ['EOMONTH(DATE(2024, 1, 15), 1).isoformat()', '2024-02-29'], ['TODAY() <= NOW().date()', true],
      ['DTIME("2024-01-02 03:04").hour', 3],
    ];
    const cols = Object.fromEntries(cases.map(([f], i) => [`F${i}`, ['Any', f] as [string, string]]));
    const v = await formulas('Projects', cols);
    const got = cases.map((_, i) => (v[`F${i}`] as CellValue[])[0]);
    expect(got).toEqual(cases.map(([, want]) => want));
  });
});

describe('stored values and recalculation', () => {
  test('stored in the type of the column: SQL, sort and filter see them', async () => {
    // Int truncates as Grist's Int type does (grist-api.md 5.2); whole Numeric values are SQLite integers.
    await formulas('Tasks', { Half: ['Numeric', '$Hours / 2'], Label: ['Text', '$Project.Title'], Whole: ['Int', '$Hours'] });
    const sql = await doc.sql('SELECT id, Half, typeof(Half) AS t, Label, Whole FROM Tasks ORDER BY id');
    expect(sql.records.map((r) => r.fields)).toEqual([
      { id: 1, Half: 1.5, t: 'real', Label: 'Engine', Whole: 3 },
      { id: 2, Half: 2.25, t: 'real', Label: 'Engine', Whole: 4 },
      { id: 3, Half: 1, t: 'integer', Label: 'Bombe', Whole: 2 },
    ]);
    expect((await doc.getRecords('Tasks', { sort: ['-Half'] })).map((r) => r.id)).toEqual([2, 1, 3]);
    expect((await doc.getRecords('Tasks', { filter: { Label: ['Bombe'] } })).map((r) => r.id)).toEqual([3]);
  });

  test('a one-row update recomputes only that row; a referenced row recomputes only the rows pointing to it', async () => {
    await formulas('Tasks', { A: ['Numeric', '$Hours + 1'], B: ['Numeric', '$A * 2'], C: ['Text', '$Project.Title'] });
    await doc.updateRecords('Tasks', [{ id: 2, fields: { Hours: 10 } }]);
    expect(doc.formulaCellsEvaluated).toBe(2); // A and B of row 2
    expect((await valuesOf('Tasks', ['A', 'B'])).B).toEqual([8, 22, 6]);
    await doc.updateRecords('Projects', [{ id: 2, fields: { Title: 'Colossus' } }]);
    expect(doc.formulaCellsEvaluated).toBe(1); // C of task 3
    expect((await valuesOf('Tasks', ['C'])).C).toEqual(['Engine', 'Engine', 'Colossus']);
  });

  test('lookups recompute when the looked-up table changes (adds, updates, deletes)', async () => {
    await formulas('Projects', { Hours: ['Numeric', 'SUM(Tasks.lookupRecords(Project=$id).Hours)'] });
    await doc.addRecords('Tasks', [{ fields: { Project: 3, Hours: 5 } }]);
    expect((await valuesOf('Projects', ['Hours'])).Hours).toEqual([7.5, 2, 5]);
    await doc.updateRecords('Tasks', [{ id: 1, fields: { Project: 2 } }]);
    expect((await valuesOf('Projects', ['Hours'])).Hours).toEqual([4.5, 5, 5]);
    await doc.deleteRecords('Tasks', [4]);
    expect((await valuesOf('Projects', ['Hours'])).Hours).toEqual([4.5, 5, 0]);
  });

  test('deleting a referenced row resets references and recomputes', async () => {
    await formulas('Projects', { LeadName: ['Text', '$Lead.Name'] });
    await doc.deleteRecords('People', [1]);
    expect((await valuesOf('Projects', ['LeadName'])).LeadName).toEqual(['', 'Alan', '']);
  });

  test('many cells of a column (the bulk path: id ranges, float64 bytes, one UPDATE) are stored as single cells are', async () => {
    // 600 rows (above the bulk threshold): every 7th X is empty, so some formulas mix numbers and errors.
    const n = 600;
    const xs = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i / 4));
    await doc.createTables([{ id: 'Big', columns: [{ id: 'X', fields: { type: 'Numeric' } }] }]);
    await doc.addRecords('Big', xs.map((X) => ({ fields: { X } })));
    const cols = {
      Twice: ['Numeric', '($X or 0) * 2'], // all numbers: packed as float64
      Whole: ['Int', 'int($X or 0)'], // all ints: packed as float64, stored as integers
      Err: ['Numeric', '$X * 2'], // numbers and TypeError cells: JSON
      Label: ['Text', '"x=%s" % $X'], // text: JSON
    } satisfies Record<string, [string, string]>;
    const expected = (x: (number | null)[], k = 2): Record<string, CellValue[]> => ({
      Twice: x.map((v) => (v ?? 0) * k),
      Whole: x.map((v) => Math.trunc(v ?? 0)),
      Err: x.map((v) => (v === null ? ['E', 'TypeError'] : v * k)),
      Label: x.map((v) => `x=${v === null ? 'None' : Number.isInteger(v) ? v.toFixed(1) : String(v)}`),
    });
    expect(await formulas('Big', cols)).toEqual(expected(xs));
    // Whole numbers are SQLite integers and the others reals, as the one-cell path binds them.
    const types = await doc.sql('SELECT typeof(Twice) AS t, count(*) AS n FROM Big GROUP BY 1 ORDER BY 1');
    const whole = expected(xs).Twice?.filter((v) => Number.isInteger(v)).length ?? 0;
    expect(whole).toBeGreaterThan(0);
    expect(types.records.map((r) => r.fields)).toEqual([{ t: 'integer', n: whole }, { t: 'real', n: n - whole }]);

    // An update of every other row: 300 rows of results, ids with gaps (listed, not a range).
    const odd = Array.from({ length: n / 2 }, (_, i) => 2 * i + 1);
    await doc.updateRecords('Big', odd.map((id) => ({ id, fields: { X: id } })));
    expect(doc.formulaCellsEvaluated).toBe(odd.length * 4);
    const xs2 = xs.map((v, i) => ((i + 1) % 2 === 1 ? i + 1 : v));
    expect(await valuesOf('Big', Object.keys(cols))).toEqual(expected(xs2));

    // A removed row leaves a gap in the ids of a whole-column recompute.
    await doc.deleteRecords('Big', [10]);
    await doc.modifyColumns('Big', [{ id: 'Twice', fields: { formula: '($X or 0) * 3' } }]);
    expect(doc.formulaCellsEvaluated).toBe(4 * (n - 1)); // a schema change recomputes every formula
    const xs3 = xs2.filter((_, i) => i !== 9);
    expect((await valuesOf('Big', ['Twice'])).Twice).toEqual(expected(xs3, 3).Twice);
  });

  test('a record a formula keeps beyond its cell still is its own row', async () => {
    // Formulas that only read rec.Col share one record object across a batch; one that keeps `rec` must not.
    await doc.createTables([{ id: 'Kept', columns: [{ id: 'X', fields: { type: 'Int' } }] }]);
    await doc.addRecords('Kept', Array.from({ length: 300 }, (_, i) => ({ fields: { X: i } })));
    const v = await formulas('Kept', {
      First: ['Int', 'global kept\ntry:\n  kept.append(rec)\nexcept NameError:\n  kept = [rec]\nreturn kept[0].id'],
      Twice: ['Int', '$X * 2'],
      Later: ['Int', 'f = lambda: rec.X\nreturn f() + 1'],
    });
    expect(v.First).toEqual(Array.from({ length: 300 }, () => 1));
    expect(v.Twice).toEqual(Array.from({ length: 300 }, (_, i) => i * 2));
    expect(v.Later).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  test('a changed formula that cannot be recalculated leaves no old values behind', async () => {
    await formulas('Tasks', { Twice: ['Numeric', '$Hours * 2'] });
    // The runtime dies (as if killed) while the recalculation of the new formula is under way.
    const slow = 'import time\nt = time.monotonic()\nwhile time.monotonic() - t < 1:\n  pass\nreturn $Hours * 3';
    const write = doc.modifyColumns('Tasks', [{ id: 'Twice', fields: { formula: slow } }]);
    await stopFormulaRuntime();
    await expect(write).rejects.toThrow(/formulas could not be recalculated/);
    // Not 6, 9, 4 (the old formula's values): the cells of a formula not evaluated yet.
    expect((await valuesOf('Tasks', ['Twice'])).Twice).toEqual([['E', 'NotImplementedError'], ['E', 'NotImplementedError'], ['E', 'NotImplementedError']]);
    // The next write recalculates in a new runtime.
    await doc.modifyColumns('Tasks', [{ id: 'Twice', fields: { formula: '$Hours * 3' } }]);
    expect((await valuesOf('Tasks', ['Twice'])).Twice).toEqual([9, 13.5, 6]);
  }, 120_000);

  test('trigger formulas: on new records when not given; on changes of recalcDeps', async () => {
    await doc.addColumns('Tasks', [
      { id: 'Created', fields: { type: 'Text', isFormula: false, formula: '"auto " + str($Hours)' } },
      { id: 'Touched', fields: { type: 'Numeric', isFormula: false, formula: '$Hours * 10', recalcWhen: 0, recalcDeps: ['L', 0] } },
    ]);
    const hoursRef = (await doc.listColumns('Tasks')).find((c) => c.id === 'Hours')?.fields.colRef as number;
    await doc.modifyColumns('Tasks', [{ id: 'Touched', fields: { recalcDeps: ['L', hoursRef] } }]);
    expect((await valuesOf('Tasks', ['Created'])).Created).toEqual(['', '', '']); // existing rows keep the default
    await doc.addRecords('Tasks', [{ fields: { Hours: 1 } }]);
    // A field some records of a batch give is given (as null) for all of them, as in Grist (10 order-with-default).
    await doc.addRecords('Tasks', [{ fields: { Hours: 2 } }, { fields: { Hours: 3, Created: 'given' } }]);
    expect((await valuesOf('Tasks', ['Created'])).Created).toEqual(['', '', '', 'auto 1.0', null, 'given']);
    await doc.updateRecords('Tasks', [{ id: 1, fields: { Hours: 8 } }]);
    const v = await valuesOf('Tasks', ['Created', 'Touched']);
    expect(v.Touched?.[0]).toBe(80);
    expect(v.Created?.[0]).toBe(''); // recalcDeps null: only on new records
  });
});

describe('renames and removals', () => {
  test('a column rename rewrites $Old, rec.Old, $Ref.Old and lookup keywords in every table', async () => {
    await doc.addColumns('Projects', [{ id: 'N', fields: { type: 'Text', isFormula: true, formula: '$Title + rec.Title' } }]);
    await doc.addColumns('Tasks', [
      { id: 'T', fields: { type: 'Text', isFormula: true, formula: '$Project.Title.upper()  # $Title stays' } },
      { id: 'L', fields: { type: 'Any', isFormula: true, formula: 'Projects.lookupOne(Title="Engine").Title' } },
      { id: 'Other', fields: { type: 'Any', isFormula: true, formula: '"$Title"' } },
    ]);
    await doc.modifyColumns('Projects', [{ id: 'Title', fields: { colId: 'Name' } }]);
    const formulaOf = async (t: string, c: string): Promise<unknown> => (await doc.listColumns(t)).find((x) => x.id === c)?.fields.formula;
    expect(await formulaOf('Projects', 'N')).toBe('$Name + rec.Name');
    expect(await formulaOf('Tasks', 'T')).toBe('$Project.Name.upper()  # $Title stays');
    expect(await formulaOf('Tasks', 'L')).toBe('Projects.lookupOne(Name="Engine").Name');
    expect(await formulaOf('Tasks', 'Other')).toBe('"$Title"');
    expect((await valuesOf('Tasks', ['T', 'L'])).T).toEqual(['ENGINE', 'ENGINE', 'BOMBE']);
  });

  test('a table rename rewrites Old.lookupRecords and Ref:Old', async () => {
    await formulas('People', { Count: ['Int', 'len(Projects.lookupRecords(Lead=$id))'] });
    await doc.renameTable('Projects', 'Work');
    const cols = await doc.listColumns('People');
    expect(cols.find((c) => c.id === 'Count')?.fields.formula).toBe('len(Work.lookupRecords(Lead=$id))');
    expect((await doc.listColumns('Tasks')).find((c) => c.id === 'Project')?.fields.type).toBe('Ref:Work');
    await doc.addRecords('Work', [{ fields: { Lead: 2 } }]);
    expect((await valuesOf('People', ['Count'])).Count).toEqual([1, 2]);
  });

  test('removing a referenced column leaves AttributeError cells', async () => {
    await formulas('Tasks', { H: ['Numeric', '$Hours * 2'] });
    await doc.deleteColumn('Tasks', 'Hours');
    expect((await valuesOf('Tasks', ['H'])).H).toEqual([['E', 'AttributeError'], ['E', 'AttributeError'], ['E', 'AttributeError']]);
  });
});

describe('the runtime\'s life', () => {
  test('it outlives the last document with formulas for idleStopMs (no second start-up), then stops', async () => {
    configureFormulaRuntime({ idleStopMs: 1500 });
    try {
      await formulas('Projects', { Up: ['Text', '$Title.upper()'] });
      const starts = formulaRuntimeStarts();
      await doc.deleteColumn('Projects', 'Up'); // the document has no formulas left: it lets go of Python
      expect(formulaRuntimeRunning()).toBe(true);
      expect((await formulas('Projects', { Low: ['Text', '$Title.lower()'] })).Low).toEqual(['engine', 'bombe', 'orphan']);
      expect(formulaRuntimeStarts()).toBe(starts);
      await doc.deleteColumn('Projects', 'Low');
      await new Promise((r) => setTimeout(r, 2000));
      expect(formulaRuntimeRunning()).toBe(false);
    } finally {
      configureFormulaRuntime({ idleStopMs: 120_000 });
    }
  }, 120_000);
});

describe('safety', () => {
  test('a runaway formula becomes a TimeoutError cell; the others compute', async () => {
    configureFormulaRuntime({ cellTimeoutMs: 300 });
    await stopFormulaRuntime();
    try {
      const v = await formulas('Projects', { Spin: ['Any', 'while True:\n  pass'], Ok: ['Any', '$Title'] });
      expect(v.Spin).toEqual([['E', 'TimeoutError'], ['E', 'TimeoutError'], ['E', 'TimeoutError']]);
      expect(v.Ok).toEqual(['Engine', 'Bombe', 'Orphan']);
    } finally {
      configureFormulaRuntime({ cellTimeoutMs: 1000 });
      await stopFormulaRuntime();
    }
  }, 120_000);

  test('the time limit is per cell among many fast cells: slow cells within it compute, only the runaway fails', async () => {
    configureFormulaRuntime({ cellTimeoutMs: 300 });
    await stopFormulaRuntime();
    try {
      await doc.createTables([{ id: 'Many', columns: [{ id: 'X', fields: { type: 'Int' } }] }]);
      await doc.addRecords('Many', Array.from({ length: 400 }, (_, i) => ({ fields: { X: i } })));
      // Rows 300 and 301 take 2/3 of the limit each, one after the other, after 299 fast cells; row 350 never ends.
      const v = await formulas('Many', {
        Slow: ['Any', 'import time\nif $id in (300, 301):\n  t = time.monotonic()\n  while time.monotonic() - t < 0.2:\n    pass\nreturn $id'],
        Spin: ['Any', 'while $id == 350:\n  pass\nreturn $id'],
      });
      const ids = Array.from({ length: 400 }, (_, i) => i + 1);
      expect(v.Slow).toEqual(ids);
      expect(v.Spin).toEqual(ids.map((id) => (id === 350 ? ['E', 'TimeoutError'] : id)));
    } finally {
      configureFormulaRuntime({ cellTimeoutMs: 1000 });
      await stopFormulaRuntime();
    }
  }, 120_000);

  test('no network, no file system, no JavaScript, bounded memory', async () => {
    const v = await formulas('Projects', {
      Js: ['Any', 'import js\nreturn 1'],
      Os: ['Any', 'import os\nreturn 1'],
      Open: ['Any', 'open("/etc/passwd").read()'],
      Private: ['Any', 'rec._table'],
      Dunder: ['Any', '().__class__'],
      Getattr: ['Any', 'getattr(rec, "_table")'],
      Big: ['Any', 'len(bytearray(1536 * 1024 ** 2))'],
    });
    expect(v.Js?.[0]).toEqual(['E', 'ImportError']);
    expect(v.Os?.[0]).toEqual(['E', 'ImportError']);
    expect(v.Open?.[0]).toEqual(['E', 'NameError']);
    expect(v.Private?.[0]).toEqual(['E', 'PermissionError']);
    expect(v.Dunder?.[0]).toEqual(['E', 'PermissionError']);
    expect(v.Getattr?.[0]).toEqual(['E', 'AttributeError']);
    expect(v.Big?.[0]).toEqual(['E', 'MemoryError']);
  }, 120_000);
});
