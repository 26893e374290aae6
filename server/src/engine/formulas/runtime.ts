/**
 * The one Python runtime of a process: a worker thread hosting Pyodide (worker.js), started on first use
 * (only documents with formulas ever ask for it) and shared by every document. Calls are queued and run
 * one at a time in the worker, so the event loop never waits on Python.
 *
 * Time limit: the worker bumps a shared progress counter as formula cells start (gg_env.py says how often);
 * a watchdog here interrupts Python (Pyodide's interrupt buffer -> KeyboardInterrupt -> a `TimeoutError`
 * cell) when the counter has not moved for `cellTimeoutMs`. Memory: WebAssembly growth is capped at
 * `maxMemoryBytes` (MemoryError cells).
 *
 * Answers come back as JSON text plus, for long all-number lists, float64 bytes transferred from the worker
 * (see {@link float64s}), and the time Python's phases took.
 */
import { Worker } from 'node:worker_threads';

/** Options of the shared runtime (set before first use with {@link configureFormulaRuntime}). */
export interface FormulaRuntimeOptions {
  /** Longest time one formula cell may run (default 1000 ms). */
  cellTimeoutMs?: number;
  /** Cap of the Python heap in bytes (default 1 GiB). */
  maxMemoryBytes?: number;
  /**
   * How long the runtime stays up after the last document with formulas is dropped (default 120,000 ms).
   * Starting Python costs seconds, so removing a document's last formula and adding one again soon after
   * must not pay it twice; an idle runtime still never keeps the process alive.
   */
  idleStopMs?: number;
}

/** A reply of the worker: the answer's JSON text, the float64 bytes it refers to, Python's phase times. */
interface Reply {
  text: string;
  blob: Uint8Array;
  timing: string;
}

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
}

/** The bytes of an answer without packed lists. */
const NO_BYTES = new Uint8Array(0);

/** Milliseconds Python spent per phase of one call (parse, load, evaluate, collect, encode, total). */
export type PythonTiming = Record<string, number>;

/** A message of the worker after it is ready (worker.js). */
interface WorkerMessage {
  id: number;
  ok: boolean;
  result?: string;
  blob?: Uint8Array;
  timing?: string;
  error?: string;
}

/** A started worker with its plumbing. */
class PythonWorker {
  readonly ready: Promise<number>;
  private readonly worker: Worker;
  private readonly interrupt = new Int32Array(new SharedArrayBuffer(4));
  /** [0]: cells started (bumped by the worker), [1]: 1 while formula cells are being evaluated. */
  private readonly progress = new Int32Array(new SharedArrayBuffer(8));
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Calls waiting for the worker (started, not yet answered). */
  private calls = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private lastProgress = 0;
  private lastProgressAt = 0;
  dead = false;

  constructor(private readonly options: Required<FormulaRuntimeOptions>) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), {
      // worker.js is plain JavaScript: no loader flags (tsx) inherited from the parent.
      execArgv: [],
      workerData: {
        interruptBuffer: this.interrupt.buffer, progressBuffer: this.progress.buffer, maxMemoryBytes: options.maxMemoryBytes,
      },
    });
    this.worker.unref();
    this.ready = new Promise<number>((resolve, reject) => {
      this.worker.once('message', (m: { ready: boolean; loadMs?: number; error?: string }) => {
        if (m.ready) {
          this.worker.on('message', (r: WorkerMessage) => this.onReply(r));
          this.refWhileBusy();
          resolve(m.loadMs ?? 0);
        } else {
          reject(new Error(`Python runtime failed to start: ${m.error ?? 'unknown error'}`));
        }
      });
    });
    this.ready.catch(() => { this.dead = true; });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`Python runtime exited (code ${code})`)));
  }

  private fail(err: Error): void {
    this.dead = true;
    this.stopWatchdog();
    for (const p of this.pending.values()) { p.reject(err); }
    this.pending.clear();
  }

  private onReply(r: WorkerMessage): void {
    const p = this.pending.get(r.id);
    if (!p) { return; }
    this.pending.delete(r.id);
    if (this.pending.size === 0) { this.stopWatchdog(); }
    if (r.ok) {
      p.resolve({ text: r.result ?? 'null', blob: r.blob ?? NO_BYTES, timing: r.timing ?? '{}' });
    } else {
      p.reject(new Error(`Python: ${r.error ?? 'failed'}`));
    }
  }

  private startWatchdog(): void {
    if (this.watchdog) { return; }
    this.lastProgress = Atomics.load(this.progress, 0);
    this.lastProgressAt = Date.now();
    const every = Math.max(10, Math.min(100, Math.floor(this.options.cellTimeoutMs / 4)));
    this.watchdog = setInterval(() => {
      const now = Date.now();
      const p = Atomics.load(this.progress, 0);
      if (p !== this.lastProgress || Atomics.load(this.progress, 1) === 0) {
        // A new cell started, or Python is not evaluating cells (loading data, bookkeeping): no limit.
        this.lastProgress = p;
        this.lastProgressAt = now;
      } else if (now - this.lastProgressAt > this.options.cellTimeoutMs) {
        Atomics.store(this.interrupt, 0, 2); // SIGINT: KeyboardInterrupt in the running cell
        this.lastProgressAt = now;
      }
    }, every);
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) { clearInterval(this.watchdog); this.watchdog = undefined; }
  }

  async call(docKey: string, op: string, payload: unknown): Promise<Reply> {
    this.calls++;
    this.refWhileBusy();
    try {
      await this.ready;
      if (this.dead) { throw new Error('Python runtime is not running'); }
      const id = this.nextId++;
      return await new Promise<Reply>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.startWatchdog();
        this.worker.postMessage({ id, docKey, op, payload: payload === undefined ? '' : JSON.stringify(payload) });
      });
    } finally {
      this.calls--;
      this.refWhileBusy();
    }
  }

  /**
   * A call in progress keeps the process alive (its caller is waiting for the answer); an idle runtime
   * never does. Attaching a 'message' listener refs a worker again, so this is also called after that.
   */
  private refWhileBusy(): void {
    if (this.calls > 0) { this.worker.ref(); } else { this.worker.unref(); }
  }

  async terminate(): Promise<void> {
    this.stopWatchdog();
    await this.worker.terminate();
  }
}

let options: Required<FormulaRuntimeOptions> = { cellTimeoutMs: 1000, maxMemoryBytes: 1024 * 1024 * 1024, idleStopMs: 120_000 };
let current: PythonWorker | undefined;
/** Times a runtime was started in this process (diagnostics; tests check restarts with it). */
let starts = 0;
/** Stops an idle runtime once no document has used it for `idleStopMs`. */
let idleTimer: NodeJS.Timeout | undefined;

/** Sets the runtime's limits; applies to a runtime started afterwards. */
export function configureFormulaRuntime(next: FormulaRuntimeOptions): void {
  options = { ...options, ...next };
}

/** The shared runtime, started on first call (and again after it died). */
function runtime(): PythonWorker {
  if (!current || current.dead) {
    current = new PythonWorker(options);
    starts++;
  }
  return current;
}

/** Whether a Python runtime is up (started and not stopped). */
export function formulaRuntimeRunning(): boolean {
  return current !== undefined && !current.dead;
}

/** How many times a Python runtime was started in this process. */
export function formulaRuntimeStarts(): number {
  return starts;
}

function cancelIdleStop(): void {
  if (idleTimer) { clearTimeout(idleTimer); idleTimer = undefined; }
}

/** No document uses the runtime any more: stop it after the idle time unless one loads meanwhile. */
function scheduleIdleStop(): void {
  cancelIdleStop();
  const stopping = current;
  idleTimer = setTimeout(() => {
    idleTimer = undefined;
    if (documents.size === 0 && current === stopping) { void stopFormulaRuntime(); }
  }, options.idleStopMs);
  idleTimer.unref();
}

/** Documents whose data the runtime holds; once the last one is dropped the worker stops after `idleStopMs`. */
const documents = new Set<string>();

/** An answer of Python, the float64 bytes it refers to, and the time its phases took. */
export interface TimedAnswer<T> {
  answer: T;
  /** The bytes that `{"$f64": [offset, count]}` entries of the answer stand for (empty when none). */
  blob: Uint8Array;
  /** Python's phases (ms) and, measured here, `parseAnswer` (JSON.parse of the answer's text). */
  timing: PythonTiming;
}

/**
 * Calls `gg_env.call(docKey, op, payload)` in the shared runtime; resolves with the parsed answer. A `load`
 * registers the document, a `drop` unregisters it; once no document uses the runtime it stops after `idleStopMs`.
 */
export async function callPython<T>(docKey: string, op: string, payload?: unknown): Promise<T> {
  return (await callPythonTimed<T>(docKey, op, payload)).answer;
}

/** {@link callPython}, with the bytes the answer refers to and the time each phase took. */
export async function callPythonTimed<T>(docKey: string, op: string, payload?: unknown): Promise<TimedAnswer<T>> {
  if (op === 'drop') {
    documents.delete(docKey);
    if (!current) { return { answer: null as T, blob: NO_BYTES, timing: {} }; }
    const reply = await current.call(docKey, op, payload).catch((): Reply => ({ text: 'null', blob: NO_BYTES, timing: '{}' }));
    if (documents.size === 0) { scheduleIdleStop(); }
    return parseReply<T>(reply);
  }
  if (op === 'load') {
    documents.add(docKey);
    cancelIdleStop();
  }
  return parseReply<T>(await runtime().call(docKey, op, payload));
}

function parseReply<T>(reply: Reply): TimedAnswer<T> {
  const started = performance.now();
  const answer = JSON.parse(reply.text) as T;
  const timing = JSON.parse(reply.timing) as PythonTiming; // whole microseconds (cheap for Python to write)
  for (const k in timing) { timing[k] = (timing[k] as number) / 1000; }
  timing.parseAnswer = performance.now() - started;
  return { answer, blob: reply.blob, timing };
}

/**
 * The numbers a `{"$f64": [offset, count]}` entry of an answer stands for: a Float64Array over `blob`
 * (read in place, no copy unless the bytes are not 8-aligned).
 */
export function float64s(blob: Uint8Array, entry: { $f64: [number, number] }): Float64Array {
  const [offset, count] = entry.$f64;
  const bytes = blob.byteOffset % 8 === 0 ? blob : blob.slice();
  return new Float64Array(bytes.buffer, bytes.byteOffset + offset * 8, count);
}

/** Milliseconds the runtime took to load Python (starts it when needed). */
export async function pythonLoadMs(): Promise<number> {
  return runtime().ready;
}

/** Stops the runtime (tests, shutdown); the next call starts a new one. */
export async function stopFormulaRuntime(): Promise<void> {
  const w = current;
  current = undefined;
  cancelIdleStop();
  documents.clear();
  if (w) { await w.terminate(); }
}
