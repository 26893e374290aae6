/**
 * The shared state of one open document: the connection, the metadata cache, a prepared-statement cache
 * and the transaction wrapper every write goes through.
 *
 * Several connections may have the same file open (a `serve` and a stdio `mcp` process on one config, or
 * two document names for one file), and each caches the structure. So every read and every write first
 * checks, inside its transaction, whether another connection changed the structure, and reloads if so
 * ({@link Store.refresh}): `PRAGMA data_version` (free: it only changes when another connection committed
 * something) gates a read of the structure counter `structureVersion` in `_gristsys_Meta`, which every
 * schema change bumps in the same transaction ({@link Store.reload} inside a write).
 */
import type Database from 'better-sqlite3';
import { GristError } from '../backend/errors.js';
import { sandboxKeyError, tableNotFound } from './failures.js';
import { ChangeLog } from './formulas/changes.js';
import { loadMeta, type TableMeta } from './meta.js';
import { getMetaNumber, setMetaNumber } from './schema.js';

/** `_gristsys_Meta` key of the counter bumped by every structure change (absent in old files: 0). */
export const STRUCTURE_VERSION_KEY = 'structureVersion';

/** Connection + cached metadata of one document. */
export class Store {
  /** Tables by tableId (user tables in tableRef order, then `_grist_*`). */
  tables = new Map<string, TableMeta>();
  /** User tables by tableRef. */
  byRef = new Map<number, TableMeta>();
  private readonly stmts = new Map<string, Database.Statement>();
  private readonly dataVersionStmt: Database.Statement;
  /** `PRAGMA data_version` when the structure was last checked. */
  private dataVersion = -1;
  /** The structure counter the cache was loaded at. */
  private structureVersion = -1;
  /** Counts this connection's write transactions (with `PRAGMA data_version`: is a cached read still valid?). */
  writes = 0;
  /** What writes changed since the formula engine last looked (formulas/changes.ts). */
  readonly changes = new ChangeLog();
  /** Called after each committed top-level write (the document's WAL checkpoints, checkpoint.ts). */
  afterCommit: (() => void) | undefined;

  constructor(readonly db: Database.Database) {
    this.dataVersionStmt = db.prepare('PRAGMA data_version').pluck();
    this.reload();
  }

  /**
   * Re-reads the metadata tables; called after every schema change and after a failed write. Called inside
   * a write transaction it means this connection changed the structure, so it also bumps the structure
   * counter (in that transaction) for the other connections to see.
   */
  reload(): void {
    this.load(this.db.inTransaction);
  }

  /** Loads the structure; `bump`: this connection changed it, so tell the others through the counter. */
  private load(bump: boolean): void {
    let version = getMetaNumber(this.db, STRUCTURE_VERSION_KEY);
    if (bump) setMetaNumber(this.db, STRUCTURE_VERSION_KEY, ++version);
    this.structureVersion = version;
    this.dataVersion = this.dataVersionStmt.get() as number;
    this.changes.schemaChanged();
    this.tables = loadMeta(this.db);
    this.byRef = new Map([...this.tables.values()].filter((t) => !t.meta).map((t) => [t.tableRef, t]));
    this.stmts.clear();
  }

  /**
   * Reloads the cached structure when another connection changed it since it was last checked. Cheap when
   * nothing was committed elsewhere (one pragma). Run it inside the transaction of the operation it
   * guards, so the check and the operation see the same snapshot.
   */
  refresh(): void {
    const dataVersion = this.dataVersionStmt.get() as number;
    if (dataVersion === this.dataVersion) return;
    this.dataVersion = dataVersion;
    // Another connection changed the structure: load it, without bumping the counter again.
    if (getMetaNumber(this.db, STRUCTURE_VERSION_KEY) !== this.structureVersion) this.load(false);
  }

  /**
   * Runs a read on a fresh structure, in one read transaction (one snapshot of the file, even when
   * another process writes meanwhile).
   */
  read<T>(fn: () => T): T {
    if (this.db.inTransaction) {
      this.refresh();
      return fn();
    }
    return this.db.transaction(() => {
      this.refresh();
      return fn();
    }).deferred();
  }

  /** User tables in tableRef order. */
  userTables(): TableMeta[] {
    return [...this.tables.values()].filter((t) => !t.meta);
  }

  /**
   * Resolves a table id or a numeric tableRef (section 1.1). An id that cannot be a table id at all is 400
   * KeyError, as in Grist; otherwise unknown ids are 404.
   */
  resolve(tableIdOrRef: string): TableMeta {
    const t = this.tables.get(tableIdOrRef);
    if (t) { return t; }
    if (/^\d+$/.test(tableIdOrRef)) {
      const byRef = this.byRef.get(Number(tableIdOrRef));
      if (byRef) { return byRef; }
    } else if (/[^\w]/.test(tableIdOrRef)) {
      throw sandboxKeyError(tableIdOrRef);
    }
    throw tableNotFound(tableIdOrRef);
  }

  /** Like {@link resolve}, for operations that only user tables support. */
  userTable(tableIdOrRef: string): TableMeta {
    const t = this.resolve(tableIdOrRef);
    if (t.meta) {
      throw new GristError(400, `Metadata table ${t.tableId} cannot be changed through this operation`, undefined,
        { kind: 'table', table: t.tableId });
    }
    return t;
  }

  /** A prepared statement, cached by its text until the next schema change. */
  stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` without recording changes (the formula engine storing its own results). */
  withoutChangeLog<T>(fn: () => T): T {
    const was = this.changes.enabled;
    this.changes.enabled = false;
    try { return fn(); } finally { this.changes.enabled = was; }
  }

  /**
   * Runs `fn` in one SQLite transaction (a savepoint when nested) on a fresh structure. The transaction
   * takes the write lock at once (`BEGIN IMMEDIATE`), so no other process can change the structure between
   * the freshness check and `fn`. On failure nothing is kept and the metadata cache is re-read, since `fn`
   * may have changed it before failing.
   */
  write<T>(fn: () => T): T {
    this.writes++;
    let out: T;
    try {
      out = this.db.transaction(() => {
        this.refresh();
        return fn();
      }).immediate();
    } catch (err) {
      throw this.failedWrite(err);
    }
    if (!this.db.inTransaction) { this.afterCommit?.(); }
    return out;
  }

  /**
   * Runs a large write in one transaction, in steps: `steps()` yields between them and `pause()` is awaited
   * there, so the event loop serves other requests meanwhile. Still one transaction: all or nothing, as
   * {@link write}. While it runs the connection is inside the transaction, so the caller must keep every
   * other write out, and every read of what it changes (they would see it uncommitted): the document
   * does (`EmbeddedDocument` waits for it, see document.ts).
   */
  async writeInSteps<T>(steps: () => Generator<void, T, void>, pause: () => Promise<void>): Promise<T> {
    // Never inside another transaction: a failure here would roll that one back.
    if (this.db.inTransaction) { throw new GristError(500, `Write failed in ${this.db.name}: another write is in progress`, undefined, { kind: 'document' }); }
    this.writes++;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      this.refresh();
      const run = steps();
      for (;;) {
        const step = run.next();
        if (step.done) {
          this.db.exec('COMMIT');
          this.afterCommit?.();
          return step.value;
        }
        await pause();
      }
    } catch (err) {
      if (this.db.inTransaction) { this.db.exec('ROLLBACK'); }
      throw this.failedWrite(err);
    }
  }

  /** After a failed write (rolled back): re-reads the structure and gives the error to throw. */
  private failedWrite(err: unknown): GristError {
    this.reload();
    if (err instanceof GristError) { return err; }
    // Anything else is a storage or engine failure (disk full, locked file, a bug): a 500 naming the file.
    const message = err instanceof Error ? err.message : String(err);
    return new GristError(500, `Write failed in ${this.db.name}: ${message}`, undefined, { kind: 'document' });
  }
}
