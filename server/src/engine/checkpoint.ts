/**
 * WAL checkpoints of an embedded document off the event loop.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that makes the WAL pass 1,000 pages: that commit
 * then copies the WAL into the database file and syncs it, tens to hundreds of ms on the gateway's event
 * loop (more on a busy disk), while every other client waits. So the document's connection turns it off
 * and, after a write, asks a worker thread with its own connection (checkpoint-worker.js) to checkpoint
 * once the WAL has passed the same threshold. The checkpoint is `PASSIVE`, as the automatic one is; the
 * WAL is the same file, crash safety is SQLite's as before. If the worker cannot run, the connection's
 * automatic checkpoint is turned back on.
 */
import type Database from 'better-sqlite3';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

const WORKER_SCRIPT = new URL('./checkpoint-worker.js', import.meta.url);

/** SQLite's default auto-checkpoint threshold, in pages. */
const THRESHOLD_PAGES = 1000;

/** Checkpoints one document's WAL from a worker thread (started on the first need). */
export class Checkpointer {
  #worker: Worker | undefined;
  #busy = false;
  #failed = false;
  readonly #thresholdBytes: number;

  constructor(private readonly db: Database.Database, private readonly path: string) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    this.#thresholdBytes = THRESHOLD_PAGES * pageSize;
    db.pragma('wal_autocheckpoint = 0');
  }

  /** After a committed write: asks for a checkpoint when the WAL has grown past the threshold. */
  afterWrite(): void {
    if (this.#busy || this.#failed) return;
    let size: number;
    try {
      size = fs.statSync(`${this.path}-wal`).size;
    } catch {
      return;
    }
    if (size < this.#thresholdBytes) return;
    this.#busy = true;
    this.#start().postMessage('checkpoint');
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    // A small heap: the worker only runs one pragma at a time.
    const worker = new Worker(WORKER_SCRIPT, { workerData: { path: this.path }, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    worker.unref();
    worker.on('message', (reply: { ok: boolean; log?: number; done?: number }) => {
      this.#busy = false;
      // Readers kept part of the WAL: the next write asks again. A failure: SQLite checkpoints itself again.
      if (!reply.ok) this.#fallBack();
    });
    worker.on('error', () => this.#fallBack());
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#busy = false;
    });
    this.#worker = worker;
    return worker;
  }

  #fallBack(): void {
    this.#failed = true;
    this.#busy = false;
    try {
      this.db.pragma(`wal_autocheckpoint = ${THRESHOLD_PAGES}`);
    } catch {
      // the connection is closed
    }
  }

  /** Stops the worker (before the connection closes, so that closing it is the last and cleans the WAL up). */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }
}
