/**
 * The embedded engine's `POST /sql`: read-only SQL against one SQLite document file, with a real time limit.
 *
 * Queries run in a long-lived child process (`sql-child.js`, one per {@link SqlRunner}, started lazily) on
 * its own read-only connection. better-sqlite3 is synchronous and cannot be interrupted, so a query that
 * outlives its time limit is stopped by killing that process (SIGKILL: no CPU left burning); the next
 * query starts a fresh one. Queries run one at a time, in arrival order; each gets its full time limit
 * from the moment it starts running, not from when it was queued.
 *
 * Grist's observable rules are kept (`shared/grist-api.md` section 7, fixture `05-sql`): the text must
 * contain `select`; one trailing `;` is stripped; the statement runs wrapped as a sub-select; errors are
 * `SQLITE_ERROR: ...`; args bind by position. Read-only is enforced by SQLite (read-only connection,
 * `query_only`, and refusal of any statement SQLite does not flag as a read-only reader), never by text.
 *
 * Known, deliberate differences from Grist: a second statement after a closing parenthesis
 * (`SELECT 1) ; SELECT 2`) is refused with `SQLITE_ERROR: only one statement is allowed` (Grist silently
 * runs the first part only); a trailing `-- comment` works (Grist reports incomplete input); blobs are
 * returned as the plain object `{ type: 'Buffer', data: [...] }`, which is exactly Grist's JSON.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SqlOptions, SqlResult } from '../backend/types.js';
import { GristError } from '../backend/errors.js';

/** Grist's default and maximum time of one SQL query (`GRIST_SQL_TIMEOUT_MSEC`). */
export const DEFAULT_SQL_TIMEOUT_MS = 1000;

/** Grist's error text for a query stopped by the time limit. */
export const SQL_TIMEOUT_MESSAGE = 'a slow statement resulted in a database interrupt';

/** Options of a {@link SqlRunner}. */
export interface SqlRunnerOptions {
  /** Maximum (and default) time of one query in ms; a query's own `timeoutMs` can only lower it. */
  maxTimeoutMs?: number;
  /** Stop the idle child process after this many ms without queries (it restarts on demand). */
  idleMs?: number;
}

const CHILD_SCRIPT = fileURLToPath(new URL('./sql-child.js', import.meta.url));
/** How long a fresh child may take to open the file before we give up on it. */
const STARTUP_LIMIT_MS = 15_000;
/** Extra time the child's own watchdog waits before killing itself if we failed to. */
const WATCHDOG_GRACE_MS = 2_000;
const DEFAULT_IDLE_MS = 60_000;

/** A query waiting for, or holding, the child. */
interface Job {
  sql: string;
  statement: string;
  args: unknown[];
  timeoutMs: number;
  resolve: (result: SqlResult) => void;
  reject: (err: GristError) => void;
}

/** One forked child with its readiness and reply plumbing. */
interface Child {
  proc: ChildProcess;
  ready: Promise<void>;
  exited: Promise<void>;
  /** Set while a query is in flight: receives the child's reply or its death. */
  onReply?: (reply: unknown) => void;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  dead: boolean;
}

/** Runs read-only SQL against one SQLite document file, on its own read-only connection, with a time limit. */
export class SqlRunner {
  private readonly maxTimeoutMs: number;
  private readonly idleMs: number;
  private readonly queue: Job[] = [];
  private running = false;
  private closed = false;
  private child: Child | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 1;

  /**
   * @param dbPath The document's SQLite file; it must exist when the first query runs.
   * @param options `maxTimeoutMs` defaults to 1000 ms, as in Grist.
   */
  constructor(
    readonly dbPath: string,
    options: SqlRunnerOptions = {},
  ) {
    this.maxTimeoutMs = positiveOr(options.maxTimeoutMs, DEFAULT_SQL_TIMEOUT_MS);
    this.idleMs = positiveOr(options.idleMs, DEFAULT_IDLE_MS);
  }

  /** Process id of the current child, if one is running (for diagnostics and tests). */
  get childPid(): number | undefined {
    return this.child && !this.child.dead ? this.child.proc.pid : undefined;
  }

  /**
   * Runs one read-only SELECT (WITH allowed) and answers as Grist's `POST /sql` does.
   * Throws {@link GristError}: 400 for refused statements, SQLite errors and timeouts, 500 for too many
   * args (`SQLITE_RANGE`) and when the runner is closed or its process fails.
   */
  run(query: string, options: SqlOptions = {}): Promise<SqlResult> {
    return new Promise<SqlResult>((resolve, reject) => {
      if (this.closed) throw closedError();
      const { args, timeoutMs } = validateOptions(options);
      if (typeof query !== 'string') throw invalidPayload('body.sql is not a string');
      // Grist's loose text rule, kept for identical answers; safety comes from SQLite (see sql-child.js).
      if (!query.toLowerCase().includes('select')) {
        throw new GristError(400, 'only select statements are supported', undefined, { kind: 'sql' });
      }
      this.queue.push({
        sql: query.replace(/;$/, ''),
        statement: query,
        args,
        timeoutMs: timeoutMs > 0 ? Math.min(timeoutMs, this.maxTimeoutMs) : this.maxTimeoutMs,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  /** Stops the child process; queued and running queries reject. Further `run` calls reject too. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    for (const job of this.queue.splice(0)) job.reject(closedError());
    const child = this.child;
    this.child = undefined;
    if (child) {
      // A running query's onExit handler rejects it with the "closed" error. An idle child is unref'd:
      // ref it again so that the event loop waits for its exit while we await it.
      if (!child.dead) {
        child.proc.ref();
        child.proc.kill('SIGKILL');
      }
      await child.exited;
    }
  }

  /** Starts the next queued query if none is running. */
  private pump(): void {
    if (this.running || this.closed) return;
    const job = this.queue.shift();
    if (!job) {
      this.becomeIdle();
      return;
    }
    this.running = true;
    clearTimeout(this.idleTimer);
    this.execute(job)
      .then(job.resolve, (err: unknown) => job.reject(this.closed ? closedError() : asGristError(err)))
      .finally(() => {
        this.running = false;
        this.pump();
      });
  }

  /** Runs one job on the child, killing the child if the job's time runs out. */
  private async execute(job: Job): Promise<SqlResult> {
    const child = await this.ensureChild();
    if (this.closed) throw closedError();
    if (child.dead) throw crashedError(child.proc.exitCode, child.proc.signalCode);
    const id = this.nextId++;
    const started = Date.now();
    return new Promise<SqlResult>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        child.onReply = undefined;
        child.onExit = undefined;
      };
      const timer = setTimeout(() => {
        finish();
        this.discardChild(child);
        reject(timeoutError());
      }, job.timeoutMs);
      child.onReply = (reply) => {
        finish();
        try {
          resolve(toResult(job.statement, reply, id));
        } catch (err) {
          reject(asGristError(err));
        }
      };
      child.onExit = (code, signal) => {
        finish();
        if (this.closed) reject(closedError());
        // The child's own watchdog killed it: the query ran out of time while our timer was late.
        else if (Date.now() - started >= job.timeoutMs) reject(timeoutError());
        else reject(crashedError(code, signal));
      };
      child.proc.ref();
      child.proc.channel?.ref();
      const message = { id, sql: job.sql, args: job.args, deadlineMs: job.timeoutMs + WATCHDOG_GRACE_MS };
      child.proc.send(message, (err) => {
        if (!err || child.onReply === undefined) return;
        finish();
        this.discardChild(child);
        reject(new GristError(500, `SQL worker process unreachable: ${err.message}`, undefined, { kind: 'unavailable' }));
      });
    });
  }

  /** The running child, or a new one once it has opened the file. */
  private async ensureChild(): Promise<Child> {
    if (!this.child || this.child.dead) this.child = spawnChild(this.dbPath);
    const child = this.child;
    try {
      await child.ready;
    } catch (err) {
      this.discardChild(child);
      throw err;
    }
    return child;
  }

  /** Kills a child that must not be used again (timeout, failed start). */
  private discardChild(child: Child): void {
    if (this.child === child) this.child = undefined;
    if (!child.dead) child.proc.kill('SIGKILL');
  }

  /** No work left: let the process exit without us, and stop the child after a while. */
  private becomeIdle(): void {
    const child = this.child;
    if (!child || child.dead) return;
    child.proc.unref();
    child.proc.channel?.unref();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.running || this.child !== child) return;
      this.child = undefined;
      if (!child.dead) child.proc.disconnect();
    }, this.idleMs);
    this.idleTimer.unref();
  }
}

/** Forks the child process and wires its messages and exit. */
function spawnChild(dbPath: string): Child {
  const proc = fork(CHILD_SCRIPT, [dbPath, String(process.pid)], {
    // Plain node: no tsx or vitest loaders are needed for a .js file, and none should leak in.
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let markReady: () => void = () => {};
  let failReady: (err: GristError) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  // Nobody may be awaiting `ready` when the child dies later; keep that from being an unhandled rejection.
  ready.catch(() => {});
  const startup = setTimeout(() => {
    failReady(new GristError(500, 'SQL worker process did not start in time', undefined, { kind: 'unavailable' }));
    proc.kill('SIGKILL');
  }, STARTUP_LIMIT_MS);
  startup.unref();
  let markExited: () => void = () => {};
  const exited = new Promise<void>((resolve) => {
    markExited = resolve;
  });
  const child: Child = { proc, ready, exited, dead: false };

  proc.on('message', (msg: unknown) => {
    if (isObject(msg) && msg['type'] === 'ready') {
      clearTimeout(startup);
      markReady();
    } else if (isObject(msg) && msg['type'] === 'fatal') {
      clearTimeout(startup);
      failReady(new GristError(500, String(msg['message']), undefined, { kind: 'unavailable' }));
    } else {
      child.onReply?.(msg);
    }
  });
  proc.on('error', (err) => {
    clearTimeout(startup);
    failReady(new GristError(500, `SQL worker process failed: ${err.message}`, undefined, { kind: 'unavailable' }));
  });
  proc.on('exit', (code, signal) => {
    child.dead = true;
    clearTimeout(startup);
    failReady(crashedError(code, signal));
    child.onExit?.(code, signal);
    markExited();
  });
  return child;
}

/** Builds Grist's answer from the child's reply, or throws the error it carries. */
function toResult(statement: string, reply: unknown, id: number): SqlResult {
  if (!isObject(reply) || reply['id'] !== id) {
    throw new GristError(500, 'SQL worker process answered out of turn', undefined, { kind: 'unavailable' });
  }
  if (reply['ok'] !== true) {
    const status = typeof reply['status'] === 'number' ? reply['status'] : 500;
    throw new GristError(status, String(reply['message']), undefined, { kind: 'sql' });
  }
  const columns = reply['columns'];
  const rows = reply['rows'];
  if (!Array.isArray(columns) || !Array.isArray(rows)) {
    throw new GristError(500, 'SQL worker process sent a malformed answer', undefined, { kind: 'unavailable' });
  }
  const names = columns.map(String);
  const hasProto = names.includes('__proto__');
  const records = rows.map((row: unknown[]) => {
    const fields: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      // A column called __proto__ must become a key, not the object's prototype.
      if (hasProto && name === '__proto__') {
        Object.defineProperty(fields, name, { value: row[i], enumerable: true, writable: true, configurable: true });
      } else {
        fields[name] = row[i];
      }
    }
    return { fields };
  });
  return { statement, records };
}

/** Checks `args` and `timeoutMs` the way Grist validates the `POST /sql` body. */
function validateOptions(options: SqlOptions): { args: unknown[]; timeoutMs: number } {
  const { args, timeoutMs } = options;
  if (args !== undefined && args !== null && !Array.isArray(args)) {
    throw invalidPayload('body.args is none of any[], null');
  }
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs))) {
    throw invalidPayload('body.timeout is not a number');
  }
  return { args: args ?? [], timeoutMs: timeoutMs ?? 0 };
}

function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && value > 0 ? value : fallback;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function invalidPayload(userError: string): GristError {
  return new GristError(400, 'Invalid payload', { userError: `Error: ${userError}` }, { kind: 'payload' });
}

function timeoutError(): GristError {
  return new GristError(400, SQL_TIMEOUT_MESSAGE, undefined, { kind: 'timeout' });
}

function closedError(): GristError {
  return new GristError(500, 'SQL runner is closed', undefined, { kind: 'unavailable' });
}

function crashedError(code: number | null, signal: NodeJS.Signals | null): GristError {
  const how = signal ? `signal ${signal}` : `exit code ${code}`;
  return new GristError(500, `SQL worker process stopped unexpectedly (${how})`, undefined, { kind: 'unavailable' });
}

function asGristError(err: unknown): GristError {
  if (err instanceof GristError) return err;
  return new GristError(500, err instanceof Error ? err.message : String(err), undefined, { kind: 'unavailable' });
}
