/**
 * The embedded engine's `POST /sql`: read-only SQL against one SQLite document file, with a real time limit.
 *
 * Queries run in a long-lived child process (`sql-child.js`, one per {@link SqlRunner}, started lazily) on
 * its own read-only connection. better-sqlite3 is synchronous and cannot be interrupted, so a query that
 * outlives its time limit is stopped by killing that process (SIGKILL: no CPU left burning); the next
 * query starts a fresh one. Each query gets its full time limit from the moment it starts running, not
 * from when it was queued; the queue is bounded (429 with Retry-After when full), fair between principals
 * (see {@link SqlRunner}), and a query whose caller went away (`signal`) is dropped or stopped. Answers
 * are capped in rows and bytes (413), and SQLite's memory in the child is capped too, so one query cannot
 * grow the process tree without bound.
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
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { SqlOptions, SqlResult } from '../backend/types.js';
import { GristError } from '../backend/errors.js';
import { limits } from '../limits/index.js';

/** Grist's default and maximum time of one SQL query (`GRIST_SQL_TIMEOUT_MSEC`). */
export const DEFAULT_SQL_TIMEOUT_MS = 1000;

/** Grist's error text for a query stopped by the time limit. */
export const SQL_TIMEOUT_MESSAGE = 'a slow statement resulted in a database interrupt';

/** Options of a {@link SqlRunner}. */
export interface SqlRunnerOptions {
  /** Maximum (and default) time of one query in ms; a query's own `timeoutMs` can only lower it. */
  maxTimeoutMs?: number;
  /** Stop the idle child processes after this many ms without queries (they restart on demand). */
  idleMs?: number;
  /** Most rows one answer may have (else PAYLOAD_TOO_LARGE). */
  maxRows?: number;
  /** Most bytes (JSON size of the cells) one answer may have (else PAYLOAD_TOO_LARGE). */
  maxBytes?: number;
  /** Data memory limit of each child process, bytes (RLIMIT_DATA; SQLite fails with SQLITE_NOMEM past it). */
  maxMemoryBytes?: number;
  /** Most queries waiting (besides the running ones); more are refused with 429. */
  maxQueue?: number;
  /** Most queries one principal may have waiting. */
  maxQueuePerPrincipal?: number;
  /** Child processes (queries running at once); one principal runs one query at a time. */
  workers?: number;
}

const CHILD_SCRIPT = fileURLToPath(new URL('./sql-child.js', import.meta.url));
/** How long a fresh child may take to open the file before we give up on it. */
const STARTUP_LIMIT_MS = 15_000;
/** Extra time the child's own watchdog waits before killing itself if we failed to. */
const WATCHDOG_GRACE_MS = 2_000;
const DEFAULT_IDLE_MS = 60_000;
/** Scheduling priority of the SQL child processes (see spawnChild): below the gateway's. */
const SQL_CHILD_NICE = 10;

/** A query waiting for, or holding, a child. */
interface Job {
  sql: string;
  statement: string;
  args: unknown[];
  timeoutMs: number;
  principal: string;
  resolve: (result: SqlResult) => void;
  reject: (err: GristError) => void;
  /** Set while it runs: stops it (the caller went away). */
  stop?: () => void;
  /** Removes the abort listener. */
  detach: () => void;
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

/** A place for one running query: its child process (started lazily) and the job it runs. */
interface Slot {
  child: Child | undefined;
  job: Job | undefined;
}

/**
 * Runs read-only SQL against one SQLite document file, on read-only connections in child processes, with
 * a time limit, caps on the answer, a bounded queue and fair turns between principals.
 *
 * Fairness: each principal runs at most one query at a time, and when a child is free the waiting
 * principal served longest ago goes first; so one caller flooding a document with slow queries holds at
 * most one child and gets every other turn, while the others keep answering.
 */
export class SqlRunner {
  private readonly maxTimeoutMs: number;
  private readonly idleMs: number;
  private readonly caps: { maxRows: number; maxBytes: number; maxMemoryBytes: number };
  private readonly maxQueue: number;
  private readonly maxQueuePerPrincipal: number;
  private readonly queue: Job[] = [];
  private readonly slots: Slot[];
  /** Turn counter per principal (when it was last served). */
  private readonly servedAt = new Map<string, number>();
  private turns = 0;
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 1;

  /**
   * @param dbPath The document's SQLite file; it must exist when the first query runs.
   * @param options `maxTimeoutMs` defaults to 1000 ms, as in Grist; the caps and queue sizes to
   *   server/src/limits.
   */
  constructor(
    readonly dbPath: string,
    options: SqlRunnerOptions = {},
  ) {
    this.maxTimeoutMs = positiveOr(options.maxTimeoutMs, DEFAULT_SQL_TIMEOUT_MS);
    this.idleMs = positiveOr(options.idleMs, DEFAULT_IDLE_MS);
    this.caps = {
      maxRows: positiveOr(options.maxRows, limits.maxSqlRows),
      maxBytes: positiveOr(options.maxBytes, limits.maxSqlBytes),
      maxMemoryBytes: positiveOr(options.maxMemoryBytes, limits.maxSqlMemoryBytes),
    };
    this.maxQueue = positiveOr(options.maxQueue, limits.maxSqlQueue);
    this.maxQueuePerPrincipal = positiveOr(options.maxQueuePerPrincipal, limits.maxSqlQueuePerPrincipal);
    this.slots = Array.from({ length: positiveOr(options.workers, limits.sqlWorkers) }, () => ({ child: undefined, job: undefined }));
  }

  /** Process id of the first running child, if any (for diagnostics and tests). */
  get childPid(): number | undefined {
    for (const slot of this.slots) if (slot.child && !slot.child.dead) return slot.child.proc.pid;
    return undefined;
  }

  /** Process ids of every running child. */
  get childPids(): number[] {
    return this.slots.flatMap((s) => (s.child && !s.child.dead && s.child.proc.pid ? [s.child.proc.pid] : []));
  }

  /** Queries waiting for a child. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Runs one read-only SELECT (WITH allowed) and answers as Grist's `POST /sql` does.
   * Throws {@link GristError}: 400 for refused statements, SQLite errors and timeouts, 413 for answers over
   * the caps, 429 when the queue is full, 500 for too many args (`SQLITE_RANGE`) and when the runner is
   * closed or its process fails.
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
      const signal = options.signal;
      if (signal?.aborted) throw cancelledError();
      const principal = options.principal ?? '';
      const mine = this.queue.filter((j) => j.principal === principal).length;
      if (mine >= this.maxQueuePerPrincipal || this.queue.length >= this.maxQueue) {
        const which = mine >= this.maxQueuePerPrincipal ? `${this.maxQueuePerPrincipal} queries of this caller` : `${this.maxQueue} queries`;
        throw new GristError(429, `Too many SQL queries waiting for this document (limit: ${which} waiting); retry later`, undefined, {
          kind: 'sql',
          retryAfterSeconds: this.retryAfterSeconds(),
        });
      }
      const job: Job = {
        sql: query.replace(/;$/, ''),
        statement: query,
        args,
        timeoutMs: timeoutMs > 0 ? Math.min(timeoutMs, this.maxTimeoutMs) : this.maxTimeoutMs,
        principal,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      const onAbort = (): void => {
        const index = this.queue.indexOf(job);
        if (index >= 0) {
          this.queue.splice(index, 1);
          job.detach();
          reject(cancelledError());
        } else {
          job.stop?.();
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Stops the child processes; queued and running queries reject. Further `run` calls reject too. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    for (const job of this.queue.splice(0)) {
      job.detach();
      job.reject(closedError());
    }
    const exits: Promise<void>[] = [];
    for (const slot of this.slots) {
      const child = slot.child;
      slot.child = undefined;
      if (!child) continue;
      // A running query's onExit handler rejects it with the "closed" error. An idle child is unref'd:
      // ref it again so that the event loop waits for its exit while we await it.
      if (!child.dead) {
        child.proc.ref();
        child.proc.kill('SIGKILL');
      }
      exits.push(child.exited);
    }
    await Promise.all(exits);
  }

  /** A guess of when the queue will have room: the time the waiting queries may take, spread over the children. */
  private retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.queue.length * this.maxTimeoutMs) / this.slots.length / 1000));
  }

  /** Starts queued queries on free children: the principal served longest ago first, one query per principal. */
  private pump(): void {
    if (this.closed) return;
    for (;;) {
      const slot = this.slots.find((s) => s.job === undefined);
      if (!slot) return;
      const running = new Set(this.slots.flatMap((s) => (s.job ? [s.job.principal] : [])));
      let best = -1;
      for (let i = 0; i < this.queue.length; i++) {
        const job = this.queue[i] as Job;
        if (running.has(job.principal)) continue;
        if (best < 0 || (this.servedAt.get(job.principal) ?? 0) < (this.servedAt.get((this.queue[best] as Job).principal) ?? 0)) best = i;
      }
      if (best < 0) {
        if (this.slots.every((s) => s.job === undefined)) this.becomeIdle();
        return;
      }
      const [job] = this.queue.splice(best, 1) as [Job];
      this.servedAt.set(job.principal, ++this.turns);
      slot.job = job;
      clearTimeout(this.idleTimer);
      this.execute(slot, job)
        .then(job.resolve, (err: unknown) => job.reject(this.closed ? closedError() : asGristError(err)))
        .finally(() => {
          job.detach();
          slot.job = undefined;
          this.pump();
        });
    }
  }

  /** Runs one job on the slot's child, killing the child if the job's time runs out or its caller leaves. */
  private async execute(slot: Slot, job: Job): Promise<SqlResult> {
    let stopped = false;
    job.stop = () => {
      stopped = true;
    };
    const child = await this.ensureChild(slot);
    if (this.closed) throw closedError();
    if (stopped) throw cancelledError();
    if (child.dead) throw crashedError(child.proc.exitCode, child.proc.signalCode);
    const id = this.nextId++;
    const started = Date.now();
    return new Promise<SqlResult>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        child.onReply = undefined;
        child.onExit = undefined;
        job.stop = undefined;
      };
      const timer = setTimeout(() => {
        finish();
        this.discardChild(slot, child);
        reject(timeoutError());
      }, job.timeoutMs);
      job.stop = () => {
        // The caller went away: stop the work now rather than let it hold the child until its deadline.
        finish();
        this.discardChild(slot, child);
        reject(cancelledError());
      };
      child.onReply = (reply) => {
        finish();
        try {
          resolve(toResult(job.statement, reply, id));
        } catch (err) {
          // A child that built an oversized answer may keep the memory: start a fresh one next time.
          if (err instanceof GristError && err.status === 413) this.discardChild(slot, child);
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
      const message = { id, sql: job.sql, args: job.args, deadlineMs: job.timeoutMs + WATCHDOG_GRACE_MS, maxRows: this.caps.maxRows, maxBytes: this.caps.maxBytes };
      child.proc.send(message, (err) => {
        if (!err || child.onReply === undefined) return;
        finish();
        this.discardChild(slot, child);
        reject(new GristError(500, `SQL worker process unreachable: ${err.message}`, undefined, { kind: 'unavailable' }));
      });
    });
  }

  /** The slot's running child, or a new one once it has opened the file. */
  private async ensureChild(slot: Slot): Promise<Child> {
    if (!slot.child || slot.child.dead) slot.child = spawnChild(this.dbPath, this.caps.maxMemoryBytes);
    const child = slot.child;
    try {
      await child.ready;
    } catch (err) {
      this.discardChild(slot, child);
      throw err;
    }
    return child;
  }

  /** Kills a child that must not be used again (timeout, failed start, cancelled query). */
  private discardChild(slot: Slot, child: Child): void {
    if (slot.child === child) slot.child = undefined;
    if (!child.dead) child.proc.kill('SIGKILL');
  }

  /** No work left: let the process exit without us, and stop the children after a while. */
  private becomeIdle(): void {
    const children = this.slots.flatMap((s) => (s.child && !s.child.dead ? [s.child] : []));
    if (children.length === 0) return;
    for (const child of children) {
      child.proc.unref();
      child.proc.channel?.unref();
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.slots.some((s) => s.job !== undefined)) return;
      for (const slot of this.slots) {
        const child = slot.child;
        slot.child = undefined;
        if (child && !child.dead) child.proc.disconnect();
      }
    }, this.idleMs);
    this.idleTimer.unref();
  }
}

/** Forks the child process and wires its messages and exit. */
function spawnChild(dbPath: string, maxMemoryBytes: number): Child {
  const args = [dbPath, String(process.pid), String(maxMemoryBytes)];
  const options = {
    // Plain node: no tsx or vitest loaders are needed for a .js file, and none should leak in.
    execArgv: [],
    serialization: 'advanced' as const,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'] as ('ignore' | 'inherit' | 'ipc')[],
  };
  // better-sqlite3 is built without SQLite's memory accounting, so `hard_heap_limit` does nothing: the
  // cap is the process's data limit (RLIMIT_DATA), set by a shell that then becomes node (exec keeps the
  // pid, the parent and the IPC channel). Past it SQLite fails with SQLITE_NOMEM (a 413 for the caller).
  const proc = process.platform !== 'win32' && fs.existsSync('/bin/sh')
    ? spawn('/bin/sh', ['-c', `ulimit -d ${Math.ceil(maxMemoryBytes / 1024)} 2>/dev/null; exec "$0" "$@"`, process.execPath, CHILD_SCRIPT, ...args], options)
    : fork(CHILD_SCRIPT, args, options);
  // A runaway query (an endless CTE until its time limit) must not take CPU from the gateway's own event
  // loop, which serves every other client: the child runs at a lower priority (nice 10), so on a busy
  // machine it gets the CPU the gateway leaves. (Best effort: an OS that refuses keeps the default.)
  if (proc.pid !== undefined) {
    try {
      os.setPriority(proc.pid, SQL_CHILD_NICE);
    } catch {
      // not permitted here: run at the default priority
    }
  }
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

function cancelledError(): GristError {
  return new GristError(499, 'SQL query cancelled: the caller went away', undefined, { kind: 'sql' });
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
