/**
 * Tests of the SQL runner against real SQLite files in temp dirs, through the real child process.
 *
 * The Pets/Owners document reproduces the stored state of the `05-sql` contract fixture (values exactly as
 * Grist stored them, including its marshalled blobs), so the fixture's recorded requests can be replayed
 * and compared with Grist's recorded answers.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GristError } from '../backend/errors.js';
import { SQL_TIMEOUT_MESSAGE, SqlRunner } from './sql.js';
import { REPO_ROOT, printedNumber, processGone, runScript, waitUntil } from '../../test/helpers/processes.js';

const SLOW_QUERY =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT COUNT(*) AS n FROM c';

type Cell = string | number | null | Buffer;

const PET_COLUMNS = [
  'manualSort', 'Name', 'Species', 'Age', 'Weight', 'Vaccinated', 'Born', 'SeenAt', 'Tags', 'Owner',
  'Friends', 'Photos', 'Extra', 'AgeDouble', 'OwnerName', 'Broken',
] as const;

/** Marshalled `['E', 'ZeroDivisionError']`, as Grist stores an error cell. */
const ERROR_BLOB = Buffer.from([
  91, 2, 0, 0, 0, 117, 1, 0, 0, 0, 69, 117, 17, 0, 0, 0, 90, 101, 114, 111, 68, 105, 118, 105, 115, 105, 111,
  110, 69, 114, 114, 111, 114,
]);

/** The Pets rows of fixture 05 as stored (id first, then {@link PET_COLUMNS}). */
const PET_ROWS: Cell[][] = [
  [1, 1, 'Tom', 'cat', 3, 4.5, 1, 1617235200, 1705314600, '["shy"]', 1, '[2]', null, 1.5, 6, 'Ann', 0.3333333333333333],
  [2, 2, 'Rex', 'dog', 0, 30, 0, 1709164800, null, '["loud","old"]', 2, '[1,3]', null, 'text', 0, 'Ben', ERROR_BLOB],
  [3, 3, 'Kit', 'cat', 1, 2, 1, null, null, null, 0, null, null,
    Buffer.from([91, 3, 0, 0, 0, 117, 1, 0, 0, 0, 76, 105, 1, 0, 0, 0, 105, 2, 0, 0, 0]), 2, '', 1],
  [4, 4, "O'Malley", 'Parrot', 12, 'heavy', 1, 'not a date', null, null, 1, null, null, Buffer.from([84]), 24,
    'Ann', 0.08333333333333333],
];

/** Whole numbers bind as SQLite integers (better-sqlite3 binds every JS number as a real). */
function bindable(value: Cell): Cell | bigint {
  return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
}

/** Creates the fixture-05 document the way the engine lays files out (WAL, BLOB columns). */
function buildPetsDb(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE _grist_Tables (id INTEGER PRIMARY KEY, tableId TEXT NOT NULL DEFAULT '');
    INSERT INTO _grist_Tables (id, tableId) VALUES (1, 'Table1'), (2, 'Owners'), (3, 'Pets');
    CREATE TABLE Table1 (id INTEGER PRIMARY KEY, manualSort BLOB, A BLOB, B BLOB, C BLOB);
    CREATE TABLE Owners (id INTEGER PRIMARY KEY, manualSort BLOB, Name BLOB);
    INSERT INTO Owners VALUES (1, 1, 'Ann'), (2, 2, 'Ben');
    CREATE TABLE Pets (id INTEGER PRIMARY KEY, ${PET_COLUMNS.map((c) => `"${c}" BLOB`).join(', ')});
  `);
  const insert = db.prepare(`INSERT INTO Pets VALUES (${['id', ...PET_COLUMNS].map(() => '?').join(', ')})`);
  for (const row of PET_ROWS) insert.run(row.map(bindable));
  db.close();
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Resolves the rejection of `promise` as a GristError (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<GristError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(GristError);
    return err as GristError;
  }
  throw new Error('expected the query to fail');
}

let dir: string;
let dbFile: string;
let runner: SqlRunner;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sql-runner-'));
  dbFile = path.join(dir, 'pets.grist');
  buildPetsDb(dbFile);
  runner = new SqlRunner(dbFile);
});

afterAll(async () => {
  await runner.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('answers', () => {
  it('returns records with keys in column order and no id unless selected', async () => {
    const result = await runner.run('SELECT Name, Age FROM Pets WHERE Age > 0 ORDER BY Age DESC');
    expect(result).toEqual({
      statement: 'SELECT Name, Age FROM Pets WHERE Age > 0 ORDER BY Age DESC',
      records: [
        { fields: { Name: "O'Malley", Age: 12 } },
        { fields: { Name: 'Tom', Age: 3 } },
        { fields: { Name: 'Kit', Age: 1 } },
      ],
    });
    const star = await runner.run('SELECT * FROM Pets WHERE id = 1');
    expect(Object.keys(star.records[0]?.fields ?? {})).toEqual(['id', ...PET_COLUMNS]);
  });

  it('keeps the statement exactly as sent, strips one trailing semicolon only', async () => {
    expect(await runner.run('SELECT 1 AS one;')).toEqual({ statement: 'SELECT 1 AS one;', records: [{ fields: { one: 1 } }] });
    const err = await failure(runner.run('SELECT 1 AS one;;'));
    expect([err.status, err.message]).toEqual([400, 'SQLITE_ERROR: near ";": syntax error']);
    // A trailing comment is fine (the wrapper closes on a new line).
    expect((await runner.run('SELECT 2 AS two -- trailing')).records).toEqual([{ fields: { two: 2 } }]);
  });

  it('suffixes duplicate column names with :1, :2', async () => {
    const result = await runner.run('SELECT 1 AS a, 2 AS a, 3 AS A, 4 AS b');
    expect(result.records).toEqual([{ fields: { a: 1, 'a:1': 2, 'A:2': 3, b: 4 } }]);
    expect(Object.keys(result.records[0]?.fields ?? {})).toEqual(['a', 'a:1', 'A:2', 'b']);
  });

  it('renders blobs as Node Buffer JSON and big integers as (lossy) numbers', async () => {
    const result = await runner.run("SELECT x'00ff10' AS b, Extra, 9007199254740993 AS big FROM Pets WHERE id = 4");
    expect(result.records).toEqual([
      { fields: { b: { type: 'Buffer', data: [0, 255, 16] }, Extra: { type: 'Buffer', data: [84] }, big: 9007199254740992 } },
    ]);
    expect(JSON.parse(JSON.stringify(result.records[0]?.fields['b']))).toEqual(
      JSON.parse(JSON.stringify(Buffer.from([0, 255, 16]))),
    );
  });

  it("answers non-finite reals (SQLite's Inf, NaN) as null, as Grist's JSON answer does", async () => {
    // Real grist-core 1.7.17: {"fields":{"x":null,"y":null,"z":null}} for this statement.
    const result = await runner.run('SELECT 1e999 AS x, -1e999 AS y, 0.0/0 AS z');
    expect(result.records).toEqual([{ fields: { x: null, y: null, z: null } }]);
  });

  it('treats identifiers case-insensitively and reads metadata tables', async () => {
    expect((await runner.run('select name from pets where ID = 2')).records).toEqual([{ fields: { name: 'Rex' } }]);
    const meta = await runner.run('SELECT tableId FROM _grist_tables ORDER BY id');
    expect(meta.records.map((r) => r.fields['tableId'])).toEqual(['Table1', 'Owners', 'Pets']);
  });

  it('makes a column called __proto__ an ordinary key', async () => {
    const result = await runner.run('SELECT 1 AS "__proto__", 2 AS x');
    const fields = result.records[0]?.fields ?? {};
    expect(Object.keys(fields)).toEqual(['__proto__', 'x']);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(JSON.stringify(fields)).toBe('{"__proto__":1,"x":2}');
  });

  it('sees rows committed by a writer connection after the runner started', async () => {
    const file = path.join(dir, 'live.grist');
    const writer = new Database(file);
    writer.pragma('journal_mode = WAL');
    writer.exec('CREATE TABLE T (id INTEGER PRIMARY KEY, v BLOB)');
    const live = new SqlRunner(file);
    try {
      expect((await live.run('SELECT COUNT(*) AS n FROM T')).records).toEqual([{ fields: { n: 0 } }]);
      writer.prepare('INSERT INTO T (v) VALUES (?)').run('x');
      expect((await live.run('SELECT COUNT(*) AS n FROM T')).records).toEqual([{ fields: { n: 1 } }]);
      writer.exec('CREATE TABLE U (id INTEGER PRIMARY KEY)');
      expect((await live.run('SELECT COUNT(*) AS n FROM U')).records).toEqual([{ fields: { n: 0 } }]);
    } finally {
      await live.close();
      writer.close();
    }
  });
});

describe('errors', () => {
  it.each([
    ['SELECT * FROM NoSuchTable', 'SQLITE_ERROR: no such table: NoSuchTable'],
    ['SELECT Nope FROM Pets', 'SQLITE_ERROR: no such column: Nope'],
    ['SELECT * FROM Pets WHERE', 'SQLITE_ERROR: near ")": syntax error'],
    ['SELECT FROM WHERE Pets', 'SQLITE_ERROR: near "FROM": syntax error'],
    ['SELECT 1 AS one; SELECT 2 AS two', 'SQLITE_ERROR: near ";": syntax error'],
    ['', 'only select statements are supported'],
    ['PRAGMA table_info(Pets)', 'only select statements are supported'],
  ])('%j -> 400 %s', async (query, message) => {
    const err = await failure(runner.run(query));
    expect([err.status, err.message]).toEqual([400, message]);
  });

  it('validates options as Grist validates the body', async () => {
    const badArgs = await failure(runner.run('SELECT 1', { args: 'cat' as unknown as unknown[] }));
    expect(badArgs.toJSON()).toEqual({ error: 'Invalid payload', details: { userError: 'Error: body.args is none of any[], null' } });
    const badTimeout = await failure(runner.run('SELECT 1', { timeoutMs: '500' as unknown as number }));
    expect(badTimeout.details?.userError).toBe('Error: body.timeout is not a number');
    const badSql = await failure(runner.run(5 as unknown as string));
    expect(badSql.details?.userError).toBe('Error: body.sql is not a string');
  });

  it('reports a missing file as a 500 and does not create it', async () => {
    const missing = path.join(dir, 'missing.grist');
    const lost = new SqlRunner(missing);
    try {
      const err = await failure(lost.run('SELECT 1'));
      expect(err.status).toBe(500);
      expect(err.message).toContain('unable to open database file');
      expect(fs.existsSync(missing)).toBe(false);
    } finally {
      await lost.close();
    }
  });
});

describe('read-only', () => {
  const SYNTAX = /^SQLITE_ERROR: near ".+": syntax error$/;
  const ONE = 'SQLITE_ERROR: only one statement is allowed';
  const writes: [string, string | RegExp][] = [
    ['DELETE FROM Pets', 'only select statements are supported'],
    ['INSERT INTO Owners (Name) VALUES (1)', 'only select statements are supported'],
    ["UPDATE Pets SET Name = 'select' WHERE id = 1", SYNTAX],
    ["INSERT INTO Owners (Name) SELECT 'x'", SYNTAX],
    ["REPLACE INTO Owners SELECT 9, 9, 'x'", SYNTAX],
    ['WITH x AS (SELECT 1) DELETE FROM Pets', SYNTAX],
    ['DROP TABLE Pets -- select', SYNTAX],
    ['CREATE TABLE Evil AS SELECT 1', SYNTAX],
    ['PRAGMA user_version = 7 -- select', SYNTAX],
    ["ATTACH DATABASE ':memory:' AS other -- select", SYNTAX],
    ["VACUUM INTO 'copy.db' -- select", SYNTAX],
    ['SELECT 1) ; DELETE FROM Pets; --', ONE],
    ['SELECT 1); DROP TABLE Pets; SELECT (1', ONE],
    ["SELECT 1) ; ATTACH DATABASE ':memory:' AS other; SELECT (1", ONE],
    ['SELECT 1) ; PRAGMA journal_mode = DELETE; SELECT (1', ONE],
    ["SELECT load_extension('/nonexistent/lib')", 'SQLITE_ERROR: not authorized'],
  ];

  it('refuses every kind of write and leaves the file unchanged', async () => {
    const before = sha256(dbFile);
    for (const [query, message] of writes) {
      const err = await failure(runner.run(query));
      expect([query, err.status]).toEqual([query, 400]);
      if (typeof message === 'string') expect(err.message).toBe(message);
      else expect(err.message).toMatch(message);
    }
    expect(sha256(dbFile)).toBe(before);
    const check = new Database(dbFile, { readonly: true });
    try {
      expect(check.prepare('SELECT COUNT(*) AS n FROM Pets').get()).toEqual({ n: 4 });
      expect(check.prepare('SELECT COUNT(*) AS n FROM Owners').get()).toEqual({ n: 2 });
      expect(check.pragma('user_version', { simple: true })).toBe(0);
      expect(check.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      check.close();
    }
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('copy'))).toEqual([]);
  });
});

describe('arguments', () => {
  const q = 'SELECT Name FROM Pets WHERE Species = ? ORDER BY id';

  it('binds positional args; null means none; true binds as 1', async () => {
    expect((await runner.run(q, { args: ['cat'] })).records).toEqual([{ fields: { Name: 'Tom' } }, { fields: { Name: 'Kit' } }]);
    expect((await runner.run('SELECT COUNT(*) AS n FROM Pets', { args: null })).records).toEqual([{ fields: { n: 4 } }]);
    const typed = await runner.run('SELECT ? AS t, typeof(?) AS tt, ? AS i, typeof(?) AS ti, ? AS r, typeof(?) AS tr', {
      args: [true, true, 3, 3, 1.5, 1.5],
    });
    expect(typed.records).toEqual([{ fields: { t: 1, tt: 'integer', i: 3, ti: 'integer', r: 1.5, tr: 'real' } }]);
  });

  it('binds missing args as NULL and refuses too many with SQLITE_RANGE', async () => {
    expect((await runner.run('SELECT ? AS a, ? AS b', { args: ['x'] })).records).toEqual([{ fields: { a: 'x', b: null } }]);
    const err = await failure(runner.run(q, { args: ['cat', 1] }));
    expect([err.status, err.message]).toEqual([500, 'SQLITE_RANGE: column index out of range']);
    const none = await failure(runner.run('SELECT 1 AS one', { args: [1] }));
    expect(none.message).toBe('SQLITE_RANGE: column index out of range');
  });

  it('binds named and numbered parameters by index, as Grist does', async () => {
    const mixed = await runner.run('SELECT ? AS a, :x AS b, ? AS c, :x AS d, @y AS e, $z AS f', {
      args: ['A', 'B', 'C', 'E', 'F'],
    });
    expect(mixed.records).toEqual([{ fields: { a: 'A', b: 'B', c: 'C', d: 'B', e: 'E', f: 'F' } }]);
    const numbered = await runner.run('SELECT ?2 AS two, ? AS three, ?2 AS again, ?1 AS one', { args: ['x', 'y', 'z'] });
    expect(numbered.records).toEqual([{ fields: { two: 'y', three: 'z', again: 'y', one: 'x' } }]);
    expect((await runner.run('SELECT Name FROM Pets WHERE Species = :s', { args: ['dog'] })).records).toEqual([
      { fields: { Name: 'Rex' } },
    ]);
  });

  it('ignores parameter look-alikes in strings, identifiers and comments', async () => {
    const result = await runner.run(
      "SELECT '?:a @b $c' AS \"q?:x\", [w?] , `v:y` , ? AS p /* ? :c */ -- ? $d\n, 'it''s ?' AS s FROM (SELECT 1 AS [w?], 2 AS `v:y`)",
      { args: ['P'] },
    );
    expect(result.records).toEqual([{ fields: { 'q?:x': '?:a @b $c', 'w?': 1, 'v:y': 2, p: 'P', s: "it's ?" } }]);
  });

  it('binds objects and arrays as NULL (they match nothing)', async () => {
    expect((await runner.run(q, { args: [{ a: 1 }] })).records).toEqual([]);
    expect((await runner.run('SELECT ? IS NULL AS n, ? IS NULL AS m', { args: [[1], { b: 2 }] })).records).toEqual([
      { fields: { n: 1, m: 1 } },
    ]);
  });
});

describe('time limit and queue', () => {
  it('really stops a slow query near its timeout and the next query works', async () => {
    const pidBefore = (await runner.run('SELECT 1 AS one'), runner.childPid);
    expect(pidBefore).toBeTypeOf('number');
    const started = Date.now();
    const err = await failure(runner.run(SLOW_QUERY, { timeoutMs: 150 }));
    const elapsed = Date.now() - started;
    expect([err.status, err.message, err.extra?.kind]).toEqual([400, SQL_TIMEOUT_MESSAGE, 'sql']);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1000);
    // The process that was running it is gone: no CPU left burning.
    expect(await waitUntil(() => processGone(pidBefore as number), 5000)).toBe(true);
    expect((await runner.run('SELECT 2 AS two')).records).toEqual([{ fields: { two: 2 } }]);
    expect(runner.childPid).not.toBe(pidBefore);
  });

  it('caps a larger timeout at the maximum, and 0 means the maximum', async () => {
    const capped = new SqlRunner(dbFile, { maxTimeoutMs: 200 });
    try {
      for (const timeoutMs of [60_000, 0, undefined]) {
        const started = Date.now();
        const err = await failure(capped.run(SLOW_QUERY, { timeoutMs }));
        expect(err.message).toBe(SQL_TIMEOUT_MESSAGE);
        expect(Date.now() - started).toBeLessThan(2000);
      }
      expect((await capped.run('SELECT 1 AS one', { timeoutMs: 500 })).records).toEqual([{ fields: { one: 1 } }]);
    } finally {
      await capped.close();
    }
  });

  it('runs concurrent queries one at a time in order, each answered with its own result', async () => {
    const order: number[] = [];
    // Six plus two: within the queue one caller may fill (limits.maxSqlQueuePerPrincipal = 8 waiting).
    const queries = Array.from({ length: 6 }, (_, i) =>
      runner.run('SELECT ? AS i, COUNT(*) AS n FROM Pets', { args: [i] }).then((r) => {
        order.push(i);
        return r.records[0]?.fields;
      }),
    );
    const slow = runner.run(SLOW_QUERY, { timeoutMs: 100 });
    const after = runner.run('SELECT Name FROM Pets WHERE id = 3');
    expect(await Promise.all(queries)).toEqual(Array.from({ length: 6 }, (_, i) => ({ i, n: 4 })));
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await failure(slow)).message).toBe(SQL_TIMEOUT_MESSAGE);
    expect((await after).records).toEqual([{ fields: { Name: 'Kit' } }]);
  });

  it('close() kills the child and rejects pending and later queries', async () => {
    const closing = new SqlRunner(dbFile, { maxTimeoutMs: 30_000 });
    const running = failure(closing.run(SLOW_QUERY));
    const queued = failure(closing.run('SELECT 1'));
    expect(await waitUntil(() => closing.childPid !== undefined, 5000)).toBe(true);
    const pid = closing.childPid as number;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await closing.close();
    for (const p of [running, queued, failure(closing.run('SELECT 1'))]) {
      const err = await p;
      expect([err.status, err.message]).toEqual([500, 'SQL runner is closed']);
    }
    expect(processGone(pid)).toBe(true);
  });

  it('stops an idle child and starts a new one on demand', async () => {
    const idle = new SqlRunner(dbFile, { idleMs: 50 });
    try {
      await idle.run('SELECT 1');
      const pid = idle.childPid as number;
      expect(await waitUntil(() => idle.childPid === undefined && processGone(pid), 5000)).toBe(true);
      expect((await idle.run('SELECT 3 AS three')).records).toEqual([{ fields: { three: 3 } }]);
    } finally {
      await idle.close();
    }
  });

  it('close() of an idle runner waits for the child and lets a script end normally', async () => {
    const code = `
      import { SqlRunner } from ${JSON.stringify(path.join(REPO_ROOT, 'server/src/engine/sql.ts'))};
      const runner = new SqlRunner(${JSON.stringify(dbFile)});
      await runner.run('SELECT 1');
      const pid = runner.childPid;
      await runner.close();
      console.log('closed ' + pid);
    `;
    const script = runScript(code);
    let out = '';
    script.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve) => script.on('exit', (c) => resolve(c)));
    expect(exitCode).toBe(0);
    const match = /closed (\d+)/.exec(out);
    expect(match).not.toBeNull();
    expect(processGone(Number(match?.[1]))).toBe(true);
  });

  it('the child dies with its parent even while stuck in a query', async () => {
    const code = `
      import { SqlRunner } from ${JSON.stringify(path.join(REPO_ROOT, 'server/src/engine/sql.ts'))};
      const runner = new SqlRunner(${JSON.stringify(dbFile)}, { maxTimeoutMs: 120000 });
      await runner.run('SELECT 1');
      runner.run(${JSON.stringify(SLOW_QUERY)}).catch(() => {});
      setTimeout(() => console.log('child ' + runner.childPid), 300);
    `;
    const parent = runScript(code);
    const childPid = await printedNumber(parent, 'child');
    expect(processGone(childPid)).toBe(false);
    parent.kill('SIGKILL');
    expect(await waitUntil(() => processGone(childPid), 5000)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------
// Replay of the recorded contract fixture 05-sql (Grist's exact answers).
// ---------------------------------------------------------------------------------------------------

interface FixtureStep {
  name: string;
  request: { method: string; url: string; body?: Record<string, unknown> };
  response: { status: number; body: unknown };
}

const FIXTURE_CANDIDATES = [
  process.env['GRIST_CONTRACT_DIR'] && path.join(process.env['GRIST_CONTRACT_DIR'], 'fixtures/05-sql.json'),
  path.join(REPO_ROOT, 'server/test/contract/fixtures/05-sql.json'),
  path.join(REPO_ROOT, 'server/test/contract/05-sql.json'),
  path.join(REPO_ROOT, 'server/test/contract/recorded/fixtures/05-sql.json'),
].filter((p): p is string => typeof p === 'string');
const fixtureFile = FIXTURE_CANDIDATES.find((p) => fs.existsSync(p));

/** Steps that are not about the runner: setup, the REST layer's own `q`/`sql` presence checks, records. */
const NOT_RUNNER = new Set(['setup-tables', 'add-owners', 'add-pets', 'get-missing-q', 'owners-unchanged', 'post-missing-sql']);

describe.skipIf(!fixtureFile)('contract fixture 05-sql replay', () => {
  const steps = fixtureFile
    ? (JSON.parse(fs.readFileSync(fixtureFile, 'utf8')) as { steps: FixtureStep[] }).steps.filter((s) => !NOT_RUNNER.has(s.name))
    : [];

  it.each(steps.map((s) => [s.name, s] as const))('%s', async (_name, step) => {
    let query: unknown;
    let options: { args?: unknown; timeoutMs?: unknown } = {};
    if (step.request.method === 'GET') {
      query = new URL(step.request.url, 'http://x').searchParams.get('q');
    } else {
      const body = step.request.body ?? {};
      query = body['sql'];
      options = { args: body['args'], timeoutMs: body['timeout'] };
    }
    let status = 200;
    let answer: unknown;
    try {
      answer = await runner.run(query as string, options as { args?: unknown[]; timeoutMs?: number });
    } catch (err) {
      if (!(err instanceof GristError)) throw err;
      status = err.status;
      answer = err.toJSON();
    }
    expect({ status, body: JSON.parse(JSON.stringify(answer)) }).toEqual({ status: step.response.status, body: step.response.body });
  });
});
