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
 * grow the process tree without bound. The child streams the answer here in pieces (sql-child.js), so it
 * never holds a whole answer: that is what lets its memory cap be low (see `limits.maxSqlMemoryBytes`).
 *
 * The child is kept cheap (about 9 MB of its own memory besides the node binary's pages it shares with
 * the gateway): the kernel, not a watchdog thread, guards it (see {@link spawnChild}).
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
/** Extra time the child's own watchdog (where it has one, see spawnChild) waits before killing itself if we failed to. */
const WATCHDOG_GRACE_MS = 2_000;
/**
 * CPU time reserved for one query besides its time limit (RLIMIT_CPU counts whole seconds, and every
 * thread of the process).
 */
const CPU_MARGIN_MS = 1_000;
/**
 * A child's CPU limit is this many query reservations (time limit + margin): it serves at least
 * `factor - 1` reservations of CPU before it is replaced, and a query we fail to stop dies by the
 * kernel's hand after at most `factor` of them.
 */
const CPU_LIMIT_FACTOR = 5;
/**
 * Node options of the child: one V8 platform thread instead of four (each holds an 8 MB stack
 * reservation, which counts against the data limit), a 4 MB young generation (room for a whole piece
 * of the answer, see CHUNK_BYTES in sql-child.js, so its rows die young instead of being promoted: with
 * 1 MB the old generation grew and its collections took a fifth of a 100,000-row query; the idle child
 * is no bigger and its peak is lower) and `gc()`, which it calls to free the buffers of sent messages
 * and the strings of a big answer at once (sql-child.js).
 */
const CHILD_NODE_OPTIONS = ['--v8-pool-size=1', '--max-semi-space-size=4', '--expose-gc'];
/** How V8's fatal out-of-memory report starts (and what it says). */
const V8_OUT_OF_MEMORY = /<--- Last few GCs --->|heap out of memory|Allocation failed/;
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
  /** CPU time the child has used, ms, as it last reported (see {@link SqlRunner.ensureChild}). */
  cpuMs: number;
  /** V8 reported running out of memory on its stderr (it aborts next). */
  outOfMemory?: boolean;
}

/** A place for one running query: its child process (started lazily) and the job it runs. */
interface Slot {
  child: Child | undefined;
  job: Job | undefined;
  /** Stops the slot's child once it has been idle for `idleMs` (each slot on its own). */
  idleTimer?: NodeJS.Timeout;
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
  /** Each child's CPU time limit, ms (a whole number of seconds). */
  private readonly cpuLimitMs: number;
  private readonly maxQueue: number;
  private readonly maxQueuePerPrincipal: number;
  private readonly queue: Job[] = [];
  private readonly slots: Slot[];
  /** Turn counter per principal (when it was last served). */
  private readonly servedAt = new Map<string, number>();
  private turns = 0;
  private closed = false;
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
    this.cpuLimitMs = Math.ceil((CPU_LIMIT_FACTOR * (this.maxTimeoutMs + CPU_MARGIN_MS)) / 1000) * 1000;
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
    for (const slot of this.slots) clearTimeout(slot.idleTimer);
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
      clearTimeout(slot.idleTimer);
      this.execute(slot, job)
        .then(job.resolve, (err: unknown) => job.reject(this.closed ? closedError() : asGristError(err)))
        .finally(() => {
          job.detach();
          slot.job = undefined;
          this.stopWhenIdle(slot);
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
      const answer = new AnswerBuilder(id, this.caps.maxRows, this.caps.maxBytes);
      child.onReply = (reply) => {
        let done: SqlResult | undefined;
        try {
          if (!answer.add(reply)) return;
          finish();
          // It kept memory from a big answer: a fresh one will have its whole allowance again.
          if (answer.retire) this.replaceChild(slot, child);
          done = answer.result(job.statement);
        } catch (err) {
          finish();
          // A child that sent more than it may, or garbage, is not to be trusted: start a fresh one next time.
          if (!answer.trusted) this.discardChild(slot, child);
          else if (answer.retire) this.replaceChild(slot, child);
          reject(asGristError(err));
          return;
        }
        resolve(done);
      };
      child.onExit = (code, signal) => {
        finish();
        if (this.closed) reject(closedError());
        else if (child.outOfMemory) reject(outOfMemoryError(this.caps.maxMemoryBytes));
        // The kernel (its CPU limit) or its own watchdog killed it: the query ran out of time while our timer was late.
        else if (Date.now() - started >= job.timeoutMs) reject(timeoutError());
        else reject(crashedError(code, signal));
      };
      child.proc.ref();
      child.proc.channel?.ref();
      const message = { id, sql: job.sql, args: job.args, deadlineMs: job.timeoutMs + WATCHDOG_GRACE_MS, maxRows: this.caps.maxRows, maxBytes: this.caps.maxBytes };
      answer.onCpu = (ms) => {
        child.cpuMs = ms;
      };
      child.proc.send(message, (err) => {
        if (!err || child.onReply === undefined) return;
        finish();
        this.discardChild(slot, child);
        reject(new GristError(500, `SQL worker process unreachable: ${err.message}`, undefined, { kind: 'unavailable' }));
      });
    });
  }

  /**
   * The slot's running child, or a new one once it has opened the file. A child is also replaced when its
   * CPU time left (see spawnChild) might not cover a whole query: the kernel must never kill it for a
   * query that is within its time limit.
   */
  private async ensureChild(slot: Slot): Promise<Child> {
    const old = slot.child;
    if (old && !old.dead && old.cpuMs + this.maxTimeoutMs + CPU_MARGIN_MS > this.cpuLimitMs) this.retireChild(slot, old);
    if (!slot.child || slot.child.dead) slot.child = spawnChild(this.dbPath, this.caps.maxMemoryBytes, this.cpuLimitMs);
    const child = slot.child;
    // A child started ahead (see replaceChild) was unref'd while idle: this process must wait for it now.
    child.proc.ref();
    child.proc.channel?.ref();
    try {
      await child.ready;
    } catch (err) {
      this.discardChild(slot, child);
      throw err;
    }
    return child;
  }

  /** Lets an idle child go (it exits once its channel closes); the next query starts a new one. */
  private retireChild(slot: Slot, child: Child): void {
    if (slot.child === child) slot.child = undefined;
    if (!child.dead && child.proc.connected) child.proc.disconnect();
  }

  /**
   * Retires a child that asked for it after a big answer and starts its successor at once: a caller who
   * reads a big table tends to come back, and a child takes 0.1-0.3 s to start, which the next query would
   * otherwise wait for. (The successor goes after `idleMs` without queries, like any child.)
   */
  private replaceChild(slot: Slot, child: Child): void {
    this.retireChild(slot, child);
    if (!this.closed && slot.child === undefined) slot.child = spawnChild(this.dbPath, this.caps.maxMemoryBytes, this.cpuLimitMs);
  }

  /** Kills a child that must not be used again (timeout, failed start, cancelled query). */
  private discardChild(slot: Slot, child: Child): void {
    if (slot.child === child) slot.child = undefined;
    if (!child.dead) child.proc.kill('SIGKILL');
  }

  /**
   * Stops the slot's child after `idleMs` without queries (a new query cancels that). Each slot on its
   * own: a second child started for a second caller goes away when that caller stops, even while the
   * first one keeps working.
   */
  private stopWhenIdle(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = undefined;
      if (slot.job === undefined && slot.child) this.retireChild(slot, slot.child);
    }, this.idleMs);
    slot.idleTimer.unref();
  }

  /** No work left: let the process exit without waiting for the idle children. */
  private becomeIdle(): void {
    for (const slot of this.slots) {
      const child = slot.child;
      if (!child || child.dead) continue;
      child.proc.unref();
      child.proc.channel?.unref();
    }
  }
}

/**
 * Starts the child process and wires its messages and exit.
 *
 * Where there is a POSIX shell, the child is started through it so that the kernel guards it, at no
 * memory cost (`exec` keeps the pid, the parent and the IPC channel):
 * - RLIMIT_DATA (`ulimit -d`) caps its data memory: past it SQLite fails with SQLITE_NOMEM, a 413 for
 *   the caller (better-sqlite3 is built without SQLite's memory accounting, so `hard_heap_limit` does
 *   nothing).
 * - RLIMIT_CPU (`ulimit -t`) kills it once it has used `cpuLimitMs` of CPU: a query we failed to stop
 *   (our event loop blocked, a lost timer) cannot burn CPU for ever. {@link SqlRunner.ensureChild}
 *   replaces a child before its CPU left could cut a query short.
 * - PR_SET_PDEATHSIG (util-linux `setpriv --pdeathsig`, if it is there) kills it when this process dies,
 *   even while it is stuck in a query and cannot see its IPC channel close. (The signal follows the
 *   thread that started the child, so a runner must live on a thread that lives as long as it.)
 * - No core dumps (`ulimit -c 0`): a child that dies must not write hundreds of MB to disk.
 * - The usual 8 MB stack (`ulimit -s`): thread stacks are that size by default and count against the data
 *   limit, so a larger system default would eat the room left for queries.
 * Without setpriv, or without a shell (Windows), the child runs a watchdog thread instead (sql-child.js).
 */
function spawnChild(dbPath: string, maxMemoryBytes: number, cpuLimitMs: number): Child {
  const args = [dbPath, String(process.pid), String(maxMemoryBytes)];
  const options = {
    // Plain node: no tsx or vitest loaders are needed for a .js file, and none should leak in.
    execArgv: CHILD_NODE_OPTIONS,
    // One libuv pool thread instead of four (it does no asynchronous I/O): each holds an 8 MB stack
    // reservation, which counts against the data limit.
    env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    serialization: 'advanced' as const,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'] as ('ignore' | 'pipe' | 'ipc')[],
  };
  const script =
    `ulimit -s 8192 2>/dev/null; ulimit -d ${Math.ceil(maxMemoryBytes / 1024)} 2>/dev/null; ulimit -t ${Math.ceil(cpuLimitMs / 1000)} 2>/dev/null; ulimit -c 0 2>/dev/null; ` +
    `if command -v setpriv >/dev/null 2>&1 && setpriv --pdeathsig KILL true 2>/dev/null; then exec setpriv --pdeathsig KILL -- "$0" "$@" kernel; fi; ` +
    `exec "$0" "$@" watchdog`;
  const proc = process.platform !== 'win32' && fs.existsSync('/bin/sh')
    ? spawn('/bin/sh', ['-c', script, process.execPath, ...CHILD_NODE_OPTIONS, CHILD_SCRIPT, ...args], options)
    : fork(CHILD_SCRIPT, [...args, 'watchdog'], options);
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
  const child: Child = { proc, ready, exited, dead: false, cpuMs: 0 };

  proc.on('message', (msg: unknown) => {
    if (isObject(msg) && msg['type'] === 'ready') {
      clearTimeout(startup);
      child.cpuMs = typeof msg['cpuMs'] === 'number' ? msg['cpuMs'] : 0;
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
  });
  // Its stderr is read to the end first: it tells whether V8 ran out of memory.
  proc.on('close', (code, signal) => {
    child.onExit?.(code, signal);
    markExited();
  });
  // V8 cannot fail an allocation gracefully: when converting a value SQLite could still build (under the
  // data limit) would pass the limit, it prints a report and aborts. That is the caller's query needing
  // more memory than it may have (a 413, see execute), not a fault to log at length.
  let tail = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    if (child.outOfMemory) return;
    tail = (tail + chunk.toString('latin1')).slice(-4096);
    if (V8_OUT_OF_MEMORY.test(tail)) child.outOfMemory = true;
    else process.stderr.write(chunk);
  });
  // An idle child must not keep this process alive (see SqlRunner.becomeIdle); its stderr neither.
  (proc.stderr as { unref?: () => void } | null)?.unref?.();
  return child;
}

/** An error the child reported for the query (as opposed to one it made). */
class ChildError extends Error {
  constructor(readonly error: GristError) {
    super(error.message);
  }
}

/**
 * Assembles one answer from the child's messages (see sql-child.js: rows in pieces, long texts in slices,
 * then the final reply), checking the caps again as it grows: a child is not trusted to keep them.
 */
class AnswerBuilder {
  private readonly rows: unknown[][] = [];
  private readonly parts: string[] = [];
  private bytes = 0;
  private columns: string[] | undefined;
  /** Receives the child's CPU time from the final reply. */
  onCpu: (ms: number) => void = () => {};
  /** The child asked to be replaced (it kept memory from this query). */
  retire = false;
  /** False once the child broke the protocol or the caps (which it checks itself). */
  trusted = true;

  constructor(
    private readonly id: number,
    private readonly maxRows: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * Takes one message; true when the answer is complete. Throws the error the child reports (its status
   * and text) or a 500 for a message out of turn or malformed, a 413 for an answer over the caps.
   */
  add(message: unknown): boolean {
    try {
      return this.take(message);
    } catch (err) {
      // The child reports its own errors as `ok: false`; anything thrown here is its fault.
      if (!(err instanceof ChildError)) this.trusted = false;
      throw err instanceof ChildError ? err.error : err;
    }
  }

  private take(message: unknown): boolean {
    if (!isObject(message) || message['id'] !== this.id) {
      throw new GristError(500, 'SQL worker process answered out of turn', undefined, { kind: 'unavailable' });
    }
    if (typeof message['cpuMs'] === 'number') this.onCpu(message['cpuMs']);
    if (message['retire'] === true) this.retire = true;
    if (typeof message['part'] === 'string') {
      this.count(0, message['part'].length);
      this.parts.push(message['part']);
      return false;
    }
    if (message['ok'] === false) {
      const status = typeof message['status'] === 'number' ? message['status'] : 500;
      throw new ChildError(new GristError(status, String(message['message']), undefined, { kind: 'sql' }));
    }
    const rows = typeof message['rows'] === 'string' ? parseRows(message['rows']) : undefined;
    const split = message['split'] ?? [];
    if (!Array.isArray(rows) || !Array.isArray(split) || (message['ok'] === true && !Array.isArray(message['columns']))) throw malformedError();
    // Cells that came apart from the rows' JSON, by `row:column`, with the bytes still to count for each:
    // a text sent in parts (its characters were counted as the parts came; its quotes remain) and a blob
    // sent as bytes (counted here; its JSON form is what Grist's answer has).
    const apart = new Map<string, number>();
    for (const entry of split as unknown[]) {
      const [r, c, n] = Array.isArray(entry) ? (entry as unknown[]) : [];
      const row: unknown = rows[r as number];
      if (!Array.isArray(row) || typeof c !== 'number' || typeof n !== 'number' || n > this.parts.length) throw malformedError();
      row[c] = this.parts.splice(0, n).join('');
      apart.set(`${r as number}:${c}`, 2);
    }
    if (this.parts.length > 0) throw malformedError();
    const blobs = message['blobs'] ?? [];
    if (!Array.isArray(blobs)) throw malformedError();
    for (const entry of blobs as unknown[]) {
      const [r, c, bytes] = Array.isArray(entry) ? (entry as unknown[]) : [];
      const row: unknown = rows[r as number];
      if (!Array.isArray(row) || typeof c !== 'number' || !(bytes instanceof Uint8Array) || row[c] !== null) throw malformedError();
      this.count(0, bytes.byteLength * 4 + 24);
      row[c] = { type: 'Buffer', data: Array.from(bytes) };
      apart.set(`${r as number}:${c}`, 0);
    }
    for (let r = 0; r < rows.length; r++) {
      const row: unknown = rows[r];
      if (!Array.isArray(row)) throw malformedError();
      let rowBytes = 0;
      for (let c = 0; c < row.length; c++) {
        // (Rows with cells apart are rare: no key is built for the others' cells.)
        rowBytes += (apart.size > 0 ? apart.get(`${r}:${c}`) : undefined) ?? cellBytes(row[c]);
      }
      this.count(1, rowBytes);
      this.rows.push(row);
    }
    if (message['ok'] !== true) return false;
    this.columns = (message['columns'] as unknown[]).map(String);
    return true;
  }

  /** Grist's answer: one `{ fields }` record per row. */
  result(statement: string): SqlResult {
    const names = this.columns ?? [];
    const hasProto = names.includes('__proto__');
    const records = this.rows.map((row) => {
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

  private count(rows: number, bytes: number): void {
    this.bytes += bytes;
    if (this.rows.length + rows > this.maxRows) {
      throw new GristError(413, `SQL result has more than the limit of ${this.maxRows} rows; add a LIMIT or aggregate`, undefined, { kind: 'sql' });
    }
    if (this.bytes > this.maxBytes) {
      throw new GristError(413, `SQL result is larger than the limit of ${this.maxBytes} bytes; select fewer rows or columns`, undefined, { kind: 'sql' });
    }
  }
}

/**
 * The JSON size of a cell, roughly, as sql-child.js counts it (blobs come apart, see `take`). Anything
 * but a text, a number or null is not a cell the child's JSON may hold: malformed.
 */
function cellBytes(v: unknown): number {
  if (typeof v === 'string') return v.length + 2;
  if (v === null || typeof v === 'number') return 8;
  throw malformedError();
}

/** The rows of a child's message, from their JSON text; undefined when it is not JSON. */
function parseRows(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function malformedError(): GristError {
  return new GristError(500, 'SQL worker process sent a malformed answer', undefined, { kind: 'unavailable' });
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

/**
 * Grist's own answer to a query stopped by its time limit (400): the query is too slow, which is the
 * caller's to change. Not kind `timeout`, which means Grist itself did not answer (503, worth retrying).
 */
function timeoutError(): GristError {
  return new GristError(400, SQL_TIMEOUT_MESSAGE, undefined, { kind: 'sql' });
}

function outOfMemoryError(maxMemoryBytes: number): GristError {
  return new GristError(413, `SQL query needs more than the limit of ${maxMemoryBytes} bytes of memory (out of memory); select less`, undefined, { kind: 'sql' });
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
