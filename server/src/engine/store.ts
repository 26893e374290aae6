/**
 * The shared state of one open document: the connection, the metadata cache, a prepared-statement cache
 * and the transaction wrapper every write goes through.
 */
import type Database from 'better-sqlite3';
import { GristError } from '../backend/errors.js';
import { sandboxKeyError, tableNotFound } from './failures.js';
import { ChangeLog } from './formulas/changes.js';
import { loadMeta, type TableMeta } from './meta.js';

/** Connection + cached metadata of one document. */
export class Store {
  /** Tables by tableId (user tables in tableRef order, then `_grist_*`). */
  tables = new Map<string, TableMeta>();
  /** User tables by tableRef. */
  byRef = new Map<number, TableMeta>();
  private readonly stmts = new Map<string, Database.Statement>();
  /** What writes changed since the formula engine last looked (formulas/changes.ts). */
  readonly changes = new ChangeLog();

  constructor(readonly db: Database.Database) {
    this.reload();
  }

  /** Re-reads the metadata tables; called after every schema change and after a failed write. */
  reload(): void {
    this.changes.schemaChanged();
    this.tables = loadMeta(this.db);
    this.byRef = new Map([...this.tables.values()].filter((t) => !t.meta).map((t) => [t.tableRef, t]));
    this.stmts.clear();
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
   * Runs `fn` in one SQLite transaction (a savepoint when nested). On failure nothing is kept and the
   * metadata cache is re-read, since `fn` may have changed it before failing.
   */
  write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      this.reload();
      if (err instanceof GristError) { throw err; }
      // Anything else is a storage or engine failure (disk full, locked file, a bug): a 500 naming the file.
      const message = err instanceof Error ? err.message : String(err);
      throw new GristError(500, `Write failed in document ${this.db.name}: ${message}`, undefined, { kind: 'document' });
    }
  }
}
