/**
 * The one Python runtime of a process: a worker thread hosting Pyodide (worker.js), started on first use
 * (only documents with formulas ever ask for it) and shared by every document. Calls are queued and run
 * one at a time in the worker, so the event loop never waits on Python.
 *
 * Time limit: the worker bumps a shared progress counter at each formula cell; a watchdog here interrupts
 * Python (Pyodide's interrupt buffer -> KeyboardInterrupt -> a `TimeoutError` cell) when the counter has not
 * moved for `cellTimeoutMs`. Memory: WebAssembly growth is capped at `maxMemoryBytes` (MemoryError cells).
 */
import { Worker } from 'node:worker_threads';

/** Options of the shared runtime (set before first use with {@link configureFormulaRuntime}). */
export interface FormulaRuntimeOptions {
  /** Longest time one formula cell may run (default 1000 ms). */
  cellTimeoutMs?: number;
  /** Cap of the Python heap in bytes (default 1 GiB). */
  maxMemoryBytes?: number;
}

interface Pending {
  resolve: (json: string) => void;
  reject: (err: Error) => void;
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
          this.worker.on('message', (r: { id: number; ok: boolean; result?: string; error?: string }) => this.onReply(r));
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

  private onReply(r: { id: number; ok: boolean; result?: string; error?: string }): void {
    const p = this.pending.get(r.id);
    if (!p) { return; }
    this.pending.delete(r.id);
    if (this.pending.size === 0) { this.stopWatchdog(); }
    if (r.ok) { p.resolve(r.result ?? 'null'); } else { p.reject(new Error(`Python: ${r.error ?? 'failed'}`)); }
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

  async call(docKey: string, op: string, payload: unknown): Promise<string> {
    await this.ready;
    if (this.dead) { throw new Error('Python runtime is not running'); }
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.startWatchdog();
      this.worker.postMessage({ id, docKey, op, payload: payload === undefined ? '' : JSON.stringify(payload) });
    });
  }

  async terminate(): Promise<void> {
    this.stopWatchdog();
    await this.worker.terminate();
  }
}

let options: Required<FormulaRuntimeOptions> = { cellTimeoutMs: 1000, maxMemoryBytes: 1024 * 1024 * 1024 };
let current: PythonWorker | undefined;

/** Sets the runtime's limits; applies to a runtime started afterwards. */
export function configureFormulaRuntime(next: FormulaRuntimeOptions): void {
  options = { ...options, ...next };
}

/** The shared runtime, started on first call (and again after it died). */
function runtime(): PythonWorker {
  if (!current || current.dead) { current = new PythonWorker(options); }
  return current;
}

/** Documents whose data the runtime holds; when the last one is dropped the worker stops (and the process can exit). */
const documents = new Set<string>();

/**
 * Calls `gg_env.call(docKey, op, payload)` in the shared runtime; resolves with the parsed answer. A `load`
 * registers the document, a `drop` unregisters it and stops the runtime once no document uses it.
 */
export async function callPython<T>(docKey: string, op: string, payload?: unknown): Promise<T> {
  if (op === 'drop') {
    documents.delete(docKey);
    if (!current) { return null as T; }
    const answer = await current.call(docKey, op, payload).catch(() => 'null');
    if (documents.size === 0) { await stopFormulaRuntime(); }
    return JSON.parse(answer) as T;
  }
  if (op === 'load') { documents.add(docKey); }
  return JSON.parse(await runtime().call(docKey, op, payload)) as T;
}

/** Milliseconds the runtime took to load Python (starts it when needed). */
export async function pythonLoadMs(): Promise<number> {
  return runtime().ready;
}

/** Stops the runtime (tests, shutdown); the next call starts a new one. */
export async function stopFormulaRuntime(): Promise<void> {
  const w = current;
  current = undefined;
  documents.clear();
  if (w) { await w.terminate(); }
}
