// @ts-check
/**
 * The WAL checkpointer of one embedded document (see checkpoint.ts): a worker thread with its own
 * connection to the file that copies committed pages from the WAL into the database file when asked.
 * Checkpoints copy megabytes and sync the file; done here they no longer stall the gateway's event loop
 * on the commit that crossed SQLite's auto-checkpoint threshold (the main connection's auto-checkpoint is
 * off). `PASSIVE`: it never waits for, or blocks, readers and writers.
 *
 * Protocol: workerData `{ path }`; parent -> worker: `'checkpoint'`; worker -> parent: `{ ok, log, done }`
 * (WAL frames, frames checkpointed) or `{ ok: false, message }`.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const port = parentPort;
if (!port) throw new Error('checkpoint-worker.js runs as a worker thread of checkpoint.ts');
/** @type {Database.Database | undefined} */
let db;

port.on('message', (msg) => {
  if (msg !== 'checkpoint') return;
  try {
    if (!db) {
      db = new Database(String(workerData.path), { fileMustExist: true });
      // A checkpoint copies WAL frames straight to the file: no page cache worth keeping.
      db.pragma('cache_size = -256');
    }
    const [row] = /** @type {{ busy: number, log: number, checkpointed: number }[]} */ (db.pragma('wal_checkpoint(PASSIVE)'));
    port.postMessage({ ok: true, log: row?.log ?? 0, done: row?.checkpointed ?? 0 });
  } catch (err) {
    port.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  }
});
port.on('close', () => db?.close());
