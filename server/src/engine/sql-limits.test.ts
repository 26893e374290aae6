/**
 * The SQL runner under hostile use, on a real SQLite file and real child processes: answers are capped in
 * rows, bytes and memory (413 naming the limit), the queue is bounded (429 with a retry delay), a caller
 * flooding a document with slow queries does not hold up others, queries of callers that went away are
 * dropped or stopped, and the server's file paths never come back.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GristError } from '../backend/errors.js';
import { SqlRunner } from './sql.js';
import { limits } from '../limits/index.js';
import { caughtGristError as failure } from '../../test/conformance/suite.js';

const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) AS n FROM c';

let dir: string;
let dbFile: string;
const runners: SqlRunner[] = [];

function runner(options: ConstructorParameters<typeof SqlRunner>[1] = {}): SqlRunner {
  const r = new SqlRunner(dbFile, options);
  runners.push(r);
  return r;
}


beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sql-limits-'));
  dbFile = path.join(dir, 'doc.grist');
  const db = new Database(dbFile);
  db.exec('CREATE TABLE T (id INTEGER PRIMARY KEY, v BLOB); INSERT INTO T (v) VALUES (1), (2), (3);');
  db.close();
});

afterAll(async () => {
  await Promise.all(runners.map((r) => r.close()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('answer caps', () => {
  it('refuses an answer over the row cap with 413 naming the limit', async () => {
    const r = runner({ maxRows: 50 });
    const err = await failure(r.run('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) SELECT x FROM c'));
    expect([err.status, err.message]).toEqual([413, 'SQL result has more than the limit of 50 rows; add a LIMIT or aggregate']);
    expect((await r.run('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50) SELECT x FROM c')).records).toHaveLength(50);
  });

  it('refuses an answer over the byte cap', async () => {
    const r = runner({ maxBytes: 1_000_000 });
    const err = await failure(r.run("SELECT printf('%.*c', 2000000, 'x') AS big"));
    expect(err.status).toBe(413);
    expect(err.message).toMatch(/larger than the limit of 1000000 bytes/);
  });

  it("caps SQLite's memory: a blob larger than the limit fails fast instead of growing the process", async () => {
    const r = runner();
    const started = Date.now();
    const err = await failure(r.run(`SELECT length(randomblob(${limits.maxSqlMemoryBytes + 100_000_000})) AS big`));
    expect(err.status).toBe(413);
    expect(err.message).toContain(`limit of ${limits.maxSqlMemoryBytes} bytes of memory`);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await r.run('SELECT 1 AS one')).records).toEqual([{ fields: { one: 1 } }]);
  });

  it('the memory cap leaves room for the largest answer the byte cap allows (two-byte text, many rows)', async () => {
    const r = runner({ maxTimeoutMs: 20_000 });
    const rows = Math.floor(limits.maxSqlBytes / 1002) - 10;
    const answer = await r.run(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) SELECT printf('%.*c', 1000, 'é') AS t FROM c`);
    expect(answer.records).toHaveLength(rows);
    // A 100 MB value is refused cleanly (413, whichever cap it meets first), not by a crash.
    const err = await failure(r.run("SELECT printf('%.*c', 100000000, 'x') AS x"));
    expect(err.status).toBe(413);
  });
});

describe('queue', () => {
  it('refuses with 429 and a retry delay when one caller has too many waiting', async () => {
    const r = runner({ maxTimeoutMs: 300, maxQueuePerPrincipal: 3, workers: 1 });
    const flood = Array.from({ length: 4 }, () => r.run(ENDLESS, { principal: 'flooder' }).catch((e: unknown) => e));
    const refused = await failure(r.run(ENDLESS, { principal: 'flooder' }));
    expect(refused.status).toBe(429);
    expect(refused.message).toMatch(/limit: 3 queries of this caller waiting/);
    expect(refused.extra?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await Promise.all(flood);
  });

  it('refuses with 429 when the whole queue is full', async () => {
    const r = runner({ maxTimeoutMs: 300, maxQueue: 2, workers: 1 });
    const waiting = ['a', 'b', 'c'].map((p) => r.run(ENDLESS, { principal: p }).catch((e: unknown) => e));
    const refused = await failure(r.run('SELECT 1', { principal: 'd' }));
    expect([refused.status, refused.message]).toEqual([429, 'Too many SQL queries waiting for this document (limit: 2 queries waiting); retry later']);
    await Promise.all(waiting);
  });

  it('a flood of endless queries from one caller does not hold up another caller', async () => {
    const r = runner({ maxTimeoutMs: 500 });
    await r.run('SELECT 1'); // warm one child
    const flood = Array.from({ length: 20 }, () => r.run(ENDLESS, { principal: 'flooder' }).catch((e: unknown) => e));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    expect((await r.run('SELECT 1 AS one', { principal: 'quiet' })).records).toEqual([{ fields: { one: 1 } }]);
    const waited = Date.now() - started;
    // Without fairness it waited for every queued query (over 4 s); now at most a child start.
    expect(waited).toBeLessThan(900);
    const outcomes = await Promise.all(flood);
    expect(outcomes.filter((o) => o instanceof GristError && o.status === 429).length).toBeGreaterThanOrEqual(11);
  }, 30_000);
});

describe('cancellation', () => {
  it('drops queued queries and stops the running one when their callers go away', async () => {
    const r = runner({ maxTimeoutMs: 5000, workers: 1 });
    await r.run('SELECT 1');
    const callers = Array.from({ length: 5 }, () => new AbortController());
    const gone = callers.map((c) => r.run(ENDLESS, { principal: 'gone', signal: c.signal }).catch((e: unknown) => e));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const pid = r.childPid;
    expect(r.queued).toBe(4);
    for (const c of callers) c.abort();
    const outcomes = await Promise.all(gone);
    expect(outcomes.every((o) => o instanceof GristError && /cancelled/.test(o.message))).toBe(true);
    expect(r.queued).toBe(0);
    const started = Date.now();
    expect((await r.run('SELECT 2 AS two', { principal: 'next' })).records).toEqual([{ fields: { two: 2 } }]);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.childPid).not.toBe(pid);
  }, 20_000);

  it('refuses a query whose caller is already gone', async () => {
    const r = runner();
    const c = new AbortController();
    c.abort();
    expect((await failure(r.run('SELECT 1', { signal: c.signal }))).message).toMatch(/cancelled/);
  });
});

describe('server paths', () => {
  it('refuses pragma_database_list in every spelling', async () => {
    const r = runner();
    for (const q of ['SELECT * FROM pragma_database_list', 'SELECT file FROM "pragma_database_list"', 'select * from [PRAGMA_DATABASE_LIST]']) {
      const err = await failure(r.run(q));
      expect(err.status, q).toBe(400);
      expect(err.message).toMatch(/database_list is not available/);
      expect(err.message).not.toContain(dir);
    }
  });
});
