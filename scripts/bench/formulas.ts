/**
 * Formula benchmark on real SQLite documents with the real Python runtime (`npx tsx scripts/bench/formulas.ts`):
 *
 *   - first use of Python in a process (start of the worker until Pyodide is ready):  ms  (target <= 5000)
 *   - recompute a 100,000-row same-record formula column (its formula changed):        ms  (target <= 1000)
 *   - one-row update with 3 dependent formula columns, minus the same update without:  ms  (target <= 5)
 *
 * Medians of several runs, printed next to their targets with PASS/MISS, with the machine's load average
 * and, for the recompute, where its time went phase by phase (`doc.formulaPhases`). Not a test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EmbeddedDocument } from '../../server/src/engine/document.js';
import { pythonLoadMs, stopFormulaRuntime } from '../../server/src/engine/formulas/runtime.js';
import type { BenchResult } from './engine.js';

const ROWS = 100_000;
const RECOMPUTE_RUNS = 3;
const UPDATE_RUNS = 200;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function format(result: BenchResult): string {
  const value = result.value >= 100 ? Math.round(result.value).toLocaleString('en-US') : result.value.toFixed(2);
  const verdict = result.pass === undefined ? '' : result.pass ? '  PASS' : '  MISS';
  const target = result.target ? `  (target ${result.target})` : '';
  return `  ${result.name.padEnd(52)} ${value.padStart(10)} ${result.unit}${target}${verdict}`;
}

/** The phases of one recompute, in the order they happen; `write` is the column change itself (SQL, before Python). */
function phaseLine(totalMs: number, phases: Record<string, number>): string {
  const order = ['read', 'transfer', 'python.parse', 'python.load', 'python.evaluate', 'python.collect', 'python.encode', 'parse', 'store'];
  const parts = [`write ${(totalMs - (phases.total ?? 0)).toFixed(0)}`];
  for (const k of order) { if (phases[k] !== undefined) { parts.push(`${k} ${(phases[k] as number).toFixed(0)}`); } }
  return parts.join(', ');
}

/** A document with `Bench(A Numeric, B Int)` holding `rows` rows. */
async function benchDocument(dir: string, name: string, rows: number): Promise<EmbeddedDocument> {
  const doc = EmbeddedDocument.create(path.join(dir, `${name}.grist`));
  await doc.createTables([{ id: 'Bench', columns: [{ id: 'A', fields: { type: 'Numeric' } }, { id: 'B', fields: { type: 'Int' } }] }]);
  await doc.addRecords('Bench', Array.from({ length: rows }, (_, i) => ({ fields: { A: i / 4, B: i % 1000 } })));
  return doc;
}

/** Median time of one-row updates of `A` (row ids cycling), in ms. */
async function oneRowUpdates(doc: EmbeddedDocument): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < UPDATE_RUNS; i++) {
    const id = 1 + ((i * 7919) % ROWS);
    const started = performance.now();
    await doc.updateRecords('Bench', [{ id, fields: { A: i } }]);
    times.push(performance.now() - started);
  }
  return median(times);
}

/** Runs the formula benchmark, prints each figure next to its target, and returns them. */
export async function runFormulaBench(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-formula-bench-'));
  const results: BenchResult[] = [];
  const report = (result: BenchResult): void => {
    results.push(result);
    console.log(format(result));
  };
  const load = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  console.log(`formula benchmark: Python (Pyodide) in a worker thread, ${ROWS.toLocaleString('en-US')} rows (load average ${load}, ${os.cpus().length} CPUs)`);
  const docs: EmbeddedDocument[] = [];
  try {
    // First use: a fresh runtime, timed from its start until Python is ready.
    await stopFormulaRuntime();
    const started = performance.now();
    await pythonLoadMs();
    const firstUse = performance.now() - started;
    report({ name: 'first use of Python in a process', value: firstUse, unit: 'ms', target: '<= 5000 ms', pass: firstUse <= 5000 });

    // Whole-column recompute: change the formula of a 100k-row column (every cell evaluated and stored).
    const big = await benchDocument(dir, 'recompute', ROWS);
    docs.push(big);
    await big.addColumns('Bench', [{ id: 'F', fields: { type: 'Numeric', isFormula: true, formula: '$A * 2 + $B' } }]);
    const runs: { ms: number; phases: Record<string, number> }[] = [];
    for (let run = 0; run < RECOMPUTE_RUNS; run++) {
      const t0 = performance.now();
      await big.modifyColumns('Bench', [{ id: 'F', fields: { formula: `$A * ${run + 3} + $B` } }]);
      runs.push({ ms: performance.now() - t0, phases: big.formulaPhases });
      if (big.formulaCellsEvaluated !== ROWS) throw new Error(`evaluated ${big.formulaCellsEvaluated} cells, expected ${ROWS}`);
    }
    // Every cell was computed and stored: the last row holds the last formula's value.
    const [last] = await big.sql(`SELECT A, B, F FROM Bench WHERE id = ${ROWS}`).then((r) => r.records.map((x) => x.fields));
    const want = (last?.A as number) * (RECOMPUTE_RUNS + 2) + (last?.B as number);
    if (last?.F !== want) throw new Error(`row ${ROWS} holds ${String(last?.F)}, expected ${want}`);
    const recompute = median(runs.map((r) => r.ms));
    report({ name: 'recompute a 100k-row same-record formula column', value: recompute, unit: 'ms', target: '<= 1000 ms', pass: recompute <= 1000 });
    const mid = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)] as (typeof runs)[number];
    console.log(`    where the median run's time went (ms): ${phaseLine(mid.ms, mid.phases)}`);

    // One-row updates: 3 formula columns depending on the written cell, against the same table without them.
    const plain = await benchDocument(dir, 'plain', ROWS);
    docs.push(plain);
    const withFormulas = await benchDocument(dir, 'formulas', ROWS);
    docs.push(withFormulas);
    await withFormulas.addColumns('Bench', [
      { id: 'F1', fields: { type: 'Numeric', isFormula: true, formula: '$A * 2' } },
      { id: 'F2', fields: { type: 'Numeric', isFormula: true, formula: 'ROUND($F1 / 3, 2)' } },
      { id: 'F3', fields: { type: 'Text', isFormula: true, formula: '"%s-%s" % ($A, $B)' } },
    ]);
    await oneRowUpdates(plain); // warm both paths
    await oneRowUpdates(withFormulas);
    if (withFormulas.formulaCellsEvaluated !== 3) throw new Error(`evaluated ${withFormulas.formulaCellsEvaluated} cells, expected 3`);
    const base = await oneRowUpdates(plain);
    const formula = await oneRowUpdates(withFormulas);
    report({ name: 'one-row update, no formulas', value: base, unit: 'ms' });
    report({ name: 'one-row update, 3 dependent formula columns', value: formula, unit: 'ms' });
    const added = formula - base;
    report({ name: 'added by the 3 formula columns', value: added, unit: 'ms', target: '<= 5 ms', pass: added <= 5 });
  } finally {
    for (const d of docs) await d.close();
    await stopFormulaRuntime();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await runFormulaBench();
}
