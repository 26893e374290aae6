/**
 * The SQL child process's memory and its guards, on real SQLite files and real child processes: the
 * answer is streamed to the parent in pieces (so the child's data limit can be low), a value far larger
 * than any answer is refused by SQLite before it grows the child, every answer up to the byte cap still
 * works (one huge cell of any text width included), and the kernel guards the child (data, CPU and
 * parent-death limits) instead of a watchdog thread.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlRunner } from './sql.js';
import { REPO_ROOT, printedNumber, processGone, runScript, waitUntil } from '../../test/helpers/processes.js';
import { limits } from '../limits/index.js';
import { caughtGristError as failure } from '../../test/conformance/suite.js';

const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) AS n FROM c';
const LINUX = process.platform === 'linux';

/** The largest text the byte cap allows in one cell (its JSON size is its length + 2). */
const CELL_UNITS = limits.maxSqlBytes - 2;
/** The largest blob the byte cap allows in one cell (4 bytes a byte in JSON, plus 24). */
const BLOB_BYTES = Math.floor((limits.maxSqlBytes - 24) / 4);
/** Three-byte UTF-8 (two bytes in V8): the widest text SQLite and V8 hold at once. */
const CJK = '中'.repeat(CELL_UNITS);
/** Four-byte UTF-8, surrogate pairs in JavaScript. */
const EMOJI = '😀'.repeat(CELL_UNITS / 2);
/** Long texts go in parts of 1 Mi units; here a part boundary falls inside a surrogate pair. */
const ODD = 'a' + '😀'.repeat(600_000) + 'z';

let dir: string;
let dbFile: string;
const runners: SqlRunner[] = [];

function runner(options: ConstructorParameters<typeof SqlRunner>[1] = {}): SqlRunner {
  const r = new SqlRunner(dbFile, { maxTimeoutMs: 30_000, ...options });
  runners.push(r);
  return r;
}

/** A field of /proc/<pid>/status in bytes (Linux). */
function status(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

function hasSetpriv(): boolean {
  return (process.env['PATH'] ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, 'setpriv')));
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sql-memory-'));
  dbFile = path.join(dir, 'doc.grist');
  const db = new Database(dbFile);
  db.exec('CREATE TABLE Big (k TEXT PRIMARY KEY, v BLOB, w BLOB)');
  const insert = db.prepare('INSERT INTO Big VALUES (?, ?, ?)');
  insert.run('cjk', CJK, null);
  insert.run('emoji', EMOJI, null);
  insert.run('blob', Buffer.alloc(BLOB_BYTES, 0xa5), null);
  insert.run('odd', ODD, 'é'.repeat(1_500_000) + '😀');
  db.close();
});

afterAll(async () => {
  await Promise.all(runners.map((r) => r.close()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('memory', () => {
  it.skipIf(!LINUX)("refuses a 100 MB value quickly with 413, and the child's memory never nears it", async () => {
    const r = runner();
    await r.run('SELECT 1');
    const pid = r.childPid as number;
    // The child's peak resident memory, sampled while it works (it may be replaced right after).
    let peak = 0;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, status(pid, 'VmHWM'));
      } catch {
        // gone
      }
    }, 5);
    const started = Date.now();
    const err = await failure(r.run("SELECT printf('%.*c', 100000000, 'x') AS x"));
    clearInterval(sampler);
    expect(err.status).toBe(413);
    expect(err.message).toContain(`limit of ${limits.maxSqlMemoryBytes} bytes of memory`);
    expect(Date.now() - started).toBeLessThan(5000);
    // SQLite ran out of room long before 100 MB (it used to build it, copy it into V8 and peak near 160 MB).
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(100 * 1024 * 1024);
    expect((await r.run('SELECT 1 AS one')).records).toEqual([{ fields: { one: 1 } }]);
  }, 30_000);

  it('answers one cell as large as the byte cap allows, in the widest text and as a blob', async () => {
    const r = runner();
    const cjk = await r.run("SELECT v FROM Big WHERE k = 'cjk'");
    expect(cjk.records).toHaveLength(1);
    expect(cjk.records[0]?.fields['v'] === CJK).toBe(true);
    const emoji = await r.run("SELECT v FROM Big WHERE k = 'emoji'");
    expect(emoji.records[0]?.fields['v'] === EMOJI).toBe(true);
    const blob = await r.run("SELECT v FROM Big WHERE k = 'blob'");
    const cell = blob.records[0]?.fields['v'] as { type: string; data: number[] };
    expect(cell.type).toBe('Buffer');
    expect(cell.data.length).toBe(BLOB_BYTES);
    expect(cell.data.every((b) => b === 0xa5)).toBe(true);
    // And the same again on whatever child is left: a big answer must not eat the room of the next one.
    expect((await r.run("SELECT v FROM Big WHERE k = 'cjk'")).records[0]?.fields['v'] === CJK).toBe(true);
  }, 60_000);

  it('answers as many rows of two-byte text as the byte cap allows', async () => {
    const r = runner();
    // Each row: 8 bytes for x, 1002 for t.
    const rows = Math.floor(limits.maxSqlBytes / 1010) - 10;
    const answer = await r.run(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) SELECT x, printf('%.*c', 1000, '中') AS t FROM c`);
    expect(answer.records).toHaveLength(rows);
    expect(answer.records[rows - 1]).toEqual({ fields: { x: rows, t: '中'.repeat(1000) } });
  }, 60_000);

  it('rebuilds long texts sent in parts exactly: several in a row, a part boundary inside a surrogate pair', async () => {
    const r = runner();
    const answer = await r.run("SELECT 1 AS a, v, 'mid' AS m, w, k FROM Big WHERE k = 'odd' UNION ALL SELECT 2, 'short', NULL, x'00ff', 'last'");
    expect(answer.records).toHaveLength(2);
    const [first, second] = answer.records;
    expect(Object.keys(first?.fields ?? {})).toEqual(['a', 'v', 'm', 'w', 'k']);
    expect(first?.fields['v'] === ODD).toBe(true);
    expect(first?.fields['w'] === 'é'.repeat(1_500_000) + '😀').toBe(true);
    expect([first?.fields['a'], first?.fields['m'], first?.fields['k']]).toEqual([1, 'mid', 'odd']);
    expect(second).toEqual({ fields: { a: 2, v: 'short', m: null, w: { type: 'Buffer', data: [0, 255] }, k: 'last' } });
  }, 30_000);

  it('puts every blob back in its own row and column: beside a long text sent in parts, and over many pieces', async () => {
    const r = runner();
    // Row 1 has a blob before a text long enough to go in parts (which sends the rows before it first).
    const mixed = await r.run(
      "SELECT 0 AS a, x'01' AS b, 'x' AS v UNION ALL SELECT 1, x'0102', v FROM Big WHERE k = 'odd' UNION ALL SELECT 2, x'03', w FROM Big WHERE k = 'odd'",
    );
    expect(mixed.records.map((rec) => [rec.fields['a'], rec.fields['b']])).toEqual([
      [0, { type: 'Buffer', data: [1] }],
      [1, { type: 'Buffer', data: [1, 2] }],
      [2, { type: 'Buffer', data: [3] }],
    ]);
    expect(mixed.records[1]?.fields['v'] === ODD).toBe(true);
    expect(mixed.records[2]?.fields['w'] === undefined && mixed.records[2]?.fields['v'] === 'é'.repeat(1_500_000) + '😀').toBe(true);
    // 30,000 rows with a distinct blob each: over 1 MiB of cells, so several pieces.
    const many = await r.run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000) SELECT x, CAST(printf('%d', x) AS BLOB) AS b, x'' AS e FROM c");
    expect(many.records).toHaveLength(30_000);
    const wrong = many.records.filter((rec) => {
      const { x, b, e } = rec.fields as { x: number; b: { data: number[] }; e: { data: number[] } };
      return Buffer.from(b.data).toString() !== String(x) || e.data.length !== 0;
    });
    expect(wrong).toEqual([]);
  }, 60_000);

  it.skipIf(!LINUX)('replaces a child that kept memory from a big answer at once: the successor is running before the next query', async () => {
    const r = runner();
    await r.run('SELECT 1');
    const first = r.childPid as number;
    const big = await r.run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x, printf('%.*c', 50, 'a') AS t FROM c");
    expect(big.records).toHaveLength(100_000);
    // Right after the answer, before any other query: the old child is on its way out, its successor started.
    const successor = r.childPid;
    expect(successor).toBeDefined();
    expect(successor).not.toBe(first);
    expect(await waitUntil(() => processGone(first), 5000)).toBe(true);
    expect((await r.run('SELECT 2 AS two')).records).toEqual([{ fields: { two: 2 } }]);
    expect(r.childPid).toBe(successor);
  }, 60_000);

  it.skipIf(!LINUX)('a successor started after a big answer does not keep an idle process alive', async () => {
    const code = `
      import { SqlRunner } from ${JSON.stringify(path.join(REPO_ROOT, 'server/src/engine/sql.ts'))};
      const runner = new SqlRunner(${JSON.stringify(dbFile)}, { maxTimeoutMs: 30000 });
      const answer = await runner.run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x, printf('%.*c', 50, 'a') AS t FROM c");
      console.log('rows ' + answer.records.length);
      console.log('child ' + runner.childPid);
    `;
    const script = runScript(code);
    try {
      expect(await printedNumber(script, 'rows')).toBe(100_000);
      // The runner is never closed: the process ends on its own once nothing is pending.
      expect(await waitUntil(() => script.exitCode !== null, 10_000)).toBe(true);
      expect(script.exitCode).toBe(0);
    } finally {
      script.kill('SIGKILL');
    }
  }, 30_000);

  it('a row too large for the memory cap is a 413 (never a crash), and the next query works', async () => {
    const r = runner();
    // Two copies of the widest cell: SQLite or V8 runs out of room while the row is converted.
    const err = await failure(r.run("SELECT v, v || '' AS again FROM Big WHERE k = 'cjk'"));
    expect(err.status).toBe(413);
    expect(err.message).toContain(`limit of ${limits.maxSqlMemoryBytes} bytes of memory`);
    expect((await r.run('SELECT 2 AS two')).records).toEqual([{ fields: { two: 2 } }]);
  }, 60_000);
});

describe('kernel guards', () => {
  it.skipIf(!LINUX)('the child runs under the data, CPU and core limits, with no watchdog thread where setpriv exists', async () => {
    const r = runner({ maxTimeoutMs: 1000 });
    await r.run('SELECT 1');
    const pid = r.childPid as number;
    const lim = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
    const soft = (name: string) => new RegExp(`${name}\\s+(\\S+)`).exec(lim)?.[1];
    expect(Number(soft('Max data size'))).toBe(limits.maxSqlMemoryBytes);
    // Five reservations of (time limit + 1 s margin), in whole seconds.
    expect(soft('Max cpu time')).toBe('10');
    expect(soft('Max core file size')).toBe('0');
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(argv.at(-1)).toBe(hasSetpriv() ? 'kernel' : 'watchdog');
  });

  it.skipIf(!LINUX)('without setpriv the child runs a watchdog thread, and still dies with its parent while stuck in a query', async () => {
    // An empty PATH hides setpriv from the wrapper shell (node and the shell are started by absolute path).
    const code = `
      import { SqlRunner } from ${JSON.stringify(path.join(REPO_ROOT, 'server/src/engine/sql.ts'))};
      process.env.PATH = '/nonexistent';
      const runner = new SqlRunner(${JSON.stringify(dbFile)}, { maxTimeoutMs: 120000 });
      await runner.run('SELECT 1');
      runner.run(${JSON.stringify(ENDLESS)}).catch(() => {});
      setTimeout(() => console.log('child ' + runner.childPid), 300);
    `;
    const parent = runScript(code);
    try {
      const childPid = await printedNumber(parent, 'child');
      const argv = fs.readFileSync(`/proc/${childPid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      expect(argv.at(-1)).toBe('watchdog');
      expect(processGone(childPid)).toBe(false);
      parent.kill('SIGKILL');
      expect(await waitUntil(() => processGone(childPid), 5000)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  }, 30_000);

  it.skipIf(!LINUX)('a query its parent fails to stop (event loop blocked) is killed by the CPU limit', async () => {
    // maxTimeoutMs 100 ms: the child's CPU limit is ceil(5 x 1.1 s) = 6 s.
    const code = `
      import { SqlRunner } from ${JSON.stringify(path.join(REPO_ROOT, 'server/src/engine/sql.ts'))};
      const runner = new SqlRunner(${JSON.stringify(dbFile)}, { maxTimeoutMs: 100 });
      await runner.run('SELECT 1');
      runner.run(${JSON.stringify(ENDLESS)}).catch(() => {});
      setTimeout(() => {
        console.log('child ' + runner.childPid);
        // Block this event loop: the runner's 100 ms timer cannot fire, this process stays alive.
        const until = Date.now() + 60000;
        while (Date.now() < until);
      }, 20);
    `;
    const parent = runScript(code);
    try {
      const childPid = await printedNumber(parent, 'child');
      expect(processGone(childPid)).toBe(false);
      // 6 s of CPU; the child runs at a lower priority on a busy machine, so allow for more wall time.
      expect(await waitUntil(() => processGone(childPid), 40_000)).toBe(true);
      expect(parent.exitCode).toBeNull();
    } finally {
      parent.kill('SIGKILL');
    }
  }, 60_000);
});

describe('idle children', () => {
  it("stops a second caller's child once it is idle, while the first caller's query still runs", async () => {
    const r = runner({ idleMs: 300, maxTimeoutMs: 4000 });
    const slow = failure(r.run(ENDLESS, { principal: 'a' }));
    expect(await waitUntil(() => r.childPids.length === 1, 5000)).toBe(true);
    expect((await r.run('SELECT 1 AS one', { principal: 'b' })).records).toEqual([{ fields: { one: 1 } }]);
    const [first, second] = r.childPids;
    expect(second).toBeDefined();
    // b's child goes after 300 ms idle; a's keeps running its query.
    expect(await waitUntil(() => r.childPids.length === 1, 3000)).toBe(true);
    expect(r.childPids).toEqual([first]);
    expect(await waitUntil(() => processGone(second as number), 3000)).toBe(true);
    expect((await slow).status).toBe(400);
  }, 30_000);
});
