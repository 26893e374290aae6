/**
 * Embedded engine throughput, on real SQLite files in a temp dir (`npx tsx scripts/bench/engine.ts`).
 *
 *   - bulk add of 100,000 rows x 10 mixed-type columns in one call: rows/s   (target >= 100,000)
 *   - get 100,000 rows with a filter and a sort:                     ms       (target < 1000)
 *   - iterate the whole table with iterateRecords:                   ms, and peak RSS growth (reported)
 *
 * Every figure is the median of several runs. Not a test: nothing fails on a number; it prints what it
 * measured next to its target with PASS/MISS.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Fields, NewTable } from '../../server/src/backend/types.js';
import { EmbeddedDocument } from '../../server/src/engine/document.js';

/** One measured figure with its target. */
export interface BenchResult {
  /** What was measured, e.g. `engine add 100k rows`. */
  name: string;
  /** The median of the runs. */
  value: number;
  unit: string;
  /** Human-readable target, e.g. `>= 100000 rows/s`; absent when the figure is only reported. */
  target?: string;
  /** Whether the median meets the target; absent when there is no target. */
  pass?: boolean;
}

const ROWS = 100_000;
const ADD_RUNS = 3;
const READ_RUNS = 5;
const OWNERS = 100;
const CHOICES = ['red', 'green', 'blue', 'amber'];

/** Bench table: one column of each of the ten types. */
const BENCH_TABLE: NewTable = {
  id: 'Bench',
  columns: [
    { id: 'Txt', fields: { type: 'Text' } },
    { id: 'Num', fields: { type: 'Numeric' } },
    { id: 'Count', fields: { type: 'Int' } },
    { id: 'Done', fields: { type: 'Bool' } },
    { id: 'Day', fields: { type: 'Date' } },
    { id: 'Color', fields: { type: 'Choice', widgetOptions: JSON.stringify({ choices: CHOICES }) } },
    { id: 'Tags', fields: { type: 'ChoiceList', widgetOptions: JSON.stringify({ choices: CHOICES }) } },
    { id: 'Owner', fields: { type: 'Ref:Owners' } },
    { id: 'Seen', fields: { type: 'DateTime:UTC' } },
    { id: 'Misc', fields: { type: 'Any' } },
  ],
};

/** Deterministic rows covering every type (built before timing starts). */
function benchRows(n: number): { fields: Fields }[] {
  return Array.from({ length: n }, (_, i) => ({
    fields: {
      Txt: `row ${i} ${'x'.repeat(i % 17)}`,
      Num: ((i * 7919) % 100_000) / 100,
      Count: i % 1000,
      Done: i % 2 === 0,
      Day: 1_600_000_000 - (1_600_000_000 % 86_400) + (i % 3650) * 86_400,
      Color: CHOICES[i % CHOICES.length] ?? null,
      Tags: ['L', CHOICES[i % 4] ?? 'red', CHOICES[(i + 1) % 4] ?? 'red'],
      Owner: (i % OWNERS) + 1,
      Seen: 1_700_000_000 + i * 37.5,
      Misc: i % 3 === 0 ? i : `any ${i}`,
    },
  }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Creates a document with the Owners and Bench tables (empty Bench). */
async function freshDocument(dir: string, run: number): Promise<EmbeddedDocument> {
  // A generous SQL limit so that the figure below is measured, not cut off.
  const doc = EmbeddedDocument.create(path.join(dir, `bench-${run}.grist`), { sqlTimeoutMs: 60_000 });
  await doc.createTables([{ id: 'Owners', columns: [{ id: 'Name', fields: { type: 'Text' } }] }, BENCH_TABLE]);
  await doc.addRecords(
    'Owners',
    Array.from({ length: OWNERS }, (_, i) => ({ fields: { Name: `owner ${i + 1}` } })),
  );
  return doc;
}

function format(result: BenchResult): string {
  const value = result.value >= 100 ? Math.round(result.value).toLocaleString('en-US') : result.value.toFixed(1);
  const verdict = result.pass === undefined ? '' : result.pass ? '  PASS' : '  MISS';
  const target = result.target ? `  (target ${result.target})` : '';
  return `  ${result.name.padEnd(44)} ${value.padStart(12)} ${result.unit}${target}${verdict}`;
}

/** Runs the engine benchmark, prints each figure next to its target, and returns them. */
export async function runEngineBench(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-engine-bench-'));
  const rows = benchRows(ROWS);
  const results: BenchResult[] = [];
  // Printed as soon as measured, so a long run shows progress.
  const report = (result: BenchResult): void => {
    results.push(result);
    console.log(format(result));
  };
  console.log(`engine benchmark: ${ROWS.toLocaleString('en-US')} rows x ${BENCH_TABLE.columns.length} columns`);
  let doc: EmbeddedDocument | undefined;
  try {
    // Bulk add: a fresh document per run, one addRecords call each.
    const addRates: number[] = [];
    for (let run = 0; run < ADD_RUNS; run++) {
      await doc?.close();
      doc = await freshDocument(dir, run);
      const started = performance.now();
      const ids = await doc.addRecords('Bench', rows);
      const seconds = (performance.now() - started) / 1000;
      if (ids.length !== ROWS) throw new Error(`addRecords returned ${ids.length} ids, expected ${ROWS}`);
      addRates.push(ROWS / seconds);
    }
    const addRate = median(addRates);
    report({ name: 'add 100k rows (one call)', value: addRate, unit: 'rows/s', target: '>= 100,000 rows/s', pass: addRate >= 100_000 });
    if (!doc) throw new Error('no document');

    // Filtered, sorted read of every row (the filter matches all of them, so 100k rows come back).
    const getTimes: number[] = [];
    for (let run = 0; run < READ_RUNS; run++) {
      const started = performance.now();
      const records = await doc.getRecords('Bench', { filter: { Color: [...CHOICES] }, sort: ['-Num', 'Txt'] });
      getTimes.push(performance.now() - started);
      if (records.length !== ROWS) throw new Error(`getRecords returned ${records.length} rows, expected ${ROWS}`);
    }
    const getMs = median(getTimes);
    report({ name: 'get 100k rows, filter + sort', value: getMs, unit: 'ms', target: '< 1000 ms', pass: getMs < 1000 });

    // Streaming the whole table: time and how much the process grows while doing it.
    const iterTimes: number[] = [];
    const rssGrowth: number[] = [];
    for (let run = 0; run < READ_RUNS; run++) {
      const baseline = process.memoryUsage.rss();
      let peak = baseline;
      let count = 0;
      const started = performance.now();
      for await (const batch of doc.iterateRecords('Bench')) {
        count += batch.length;
        peak = Math.max(peak, process.memoryUsage.rss());
      }
      iterTimes.push(performance.now() - started);
      rssGrowth.push((peak - baseline) / (1024 * 1024));
      if (count !== ROWS) throw new Error(`iterateRecords yielded ${count} rows, expected ${ROWS}`);
    }
    report({ name: 'iterate 100k rows (iterateRecords)', value: median(iterTimes), unit: 'ms' });
    report({ name: 'iterate: peak RSS growth', value: median(rssGrowth), unit: 'MB' });

    // SQL through the read-only child process: a whole-table SELECT must fit in Grist's default 1 s limit.
    await doc.sql('SELECT 1'); // start the child outside the timing
    const sqlTimes: number[] = [];
    for (let run = 0; run < READ_RUNS; run++) {
      const started = performance.now();
      const answer = await doc.sql('SELECT * FROM Bench', { timeoutMs: 60_000 });
      sqlTimes.push(performance.now() - started);
      if (answer.records.length !== ROWS) throw new Error(`sql returned ${answer.records.length} rows, expected ${ROWS}`);
    }
    const sqlMs = median(sqlTimes);
    report({ name: 'sql SELECT * of 100k rows', value: sqlMs, unit: 'ms', target: '< 1000 ms (SQL time limit)', pass: sqlMs < 1000 });
  } finally {
    await doc?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await runEngineBench();
}
