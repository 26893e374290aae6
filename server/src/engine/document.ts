/**
 * `EmbeddedDocument`: a Grist document kept in one SQLite file, answering like Grist's REST API.
 *
 * The class is a thin async facade: each write runs synchronously in one SQLite transaction
 * ({@link Store.write}), reads use the cached metadata. The modules next to it do the work.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { GristError, isGristError } from '../backend/errors.js';
import type {
  AttachmentDownload, AttachmentMetadata, AttachmentUpload, CellValue, ColumnFieldsInput, ColumnInfo, Fields,
  GetRecordsOptions, GristRecord, NewColumn, NewTable, SortedPageOptions, SqlOptions, SqlReads, SqlResult, TableInfo, UpsertOptions, UpsertRecord,
  UpsertResult, WriteOptions,
} from '../backend/types.js';
import type { AddRecordsOptions, ApplyResult, EmbeddedDocumentApi, EngineOptions, PutColumnsOptions, TableInfoWithColumns } from './api.js';
import { applyUserActions } from './apply.js';
import { Checkpointer } from './checkpoint.js';
import * as attachments from './attachments.js';
import * as columns from './columns.js';
import { FormulaEngine, type RecalcPhases } from './formulas/engine.js';
import { columnInfo } from './meta.js';
import * as read from './read.js';
import * as records from './records.js';
import { checkDocumentFile, configureConnection, createMetadata } from './schema.js';
import { SqlRunner } from './sql.js';
import { sqlReads } from './sql-scope.js';
import { readSortedPage, SortedOrderCache } from './sorted-pages.js';
import { nextTurn } from '../util/turns.js';
import { Store } from './store.js';
import { limits } from '../limits/index.js';
import { runSteps } from './records.js';
import * as tables from './tables.js';
import { upsertRecords } from './upsert.js';

function documentError(status: number, message: string): GristError {
  return new GristError(status, message, undefined, { kind: 'document' });
}

/** An embedded Grist document. Create with {@link EmbeddedDocument.create} or {@link EmbeddedDocument.open}. */
export class EmbeddedDocument implements EmbeddedDocumentApi {
  private readonly store: Store;
  private readonly sortedOrders = new SortedOrderCache();
  /** WAL checkpoints in a worker thread instead of inside commits (checkpoint.ts). */
  private readonly checkpoints: Checkpointer;
  private sqlRunner: SqlRunner | undefined;
  private closed = false;
  private readonly formulas: FormulaEngine;
  /** The recalculation after the last write, while it runs: reads and writes wait for it. */
  private recalc: Promise<void> | undefined;
  /**
   * A large write running in steps (`Store.writeInSteps`), until it and its recalculation are done: other
   * writes wait for it, and so do reads of its table or of the whole document (they would see it
   * uncommitted); reads of other tables go on.
   */
  private stepped: { tableId: string; done: Promise<unknown> } | undefined;

  private constructor(readonly path: string, readonly db: Database.Database, private readonly options: EngineOptions) {
    this.store = new Store(db);
    this.store.changes.clear();
    this.checkpoints = new Checkpointer(db, path);
    this.store.afterCommit = () => this.checkpoints.afterWrite();
    this.formulas = new FormulaEngine(this.store);
  }

  /**
   * Creates a new document file that looks like a new Grist document: `Table1` with empty formula columns
   * `A`, `B`, `C` and a hidden `manualSort`. Fails (409) when the file already exists.
   */
  static create(path: string, options: EngineOptions = {}): EmbeddedDocument {
    if (fs.existsSync(path)) { throw documentError(409, `Document file already exists: ${path}`); }
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (err) {
      throw documentError(500, `Cannot create document file ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      configureConnection(db);
      db.transaction(() => {
        createMetadata(db);
        tables.createTable(new Store(db), 'Table1', tables.emptyTableColumns(), 500);
      })();
    } catch (err) {
      db.close();
      for (const suffix of ['', '-wal', '-shm']) { fs.rmSync(path + suffix, { force: true }); }
      throw isGristError(err) ? err : documentError(500, `Cannot create document file ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return new EmbeddedDocument(path, db, options);
  }

  /** Opens an existing document file: 404 when it is missing, 500 when it is not an embedded document. */
  static open(path: string, options: EngineOptions = {}): EmbeddedDocument {
    if (!fs.existsSync(path)) { throw documentError(404, `Document file not found: ${path}`); }
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: true });
    } catch (err) {
      throw documentError(500, `Cannot open document file ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      const reason = checkDocumentFile(db);
      if (reason) { throw documentError(500, `Not a valid Grist document: ${path} (${reason})`); }
      configureConnection(db);
      return new EmbeddedDocument(path, db, options);
    } catch (err) {
      db.close();
      if (isGristError(err)) { throw err; }
      throw documentError(500, `Not a valid Grist document: ${path} (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  private check(): void {
    if (this.closed) { throw documentError(500, `Document is closed: ${this.path}`); }
  }

  /** Runs a write in one transaction, then recalculates the formulas it affects (formulas/engine.ts). */
  private write<T>(fn: (store: Store) => T): Promise<T> {
    this.check();
    if (this.recalc) { return this.recalc.catch(() => undefined).then(() => this.write(fn)); }
    if (this.stepped) { return this.stepped.done.catch(() => undefined).then(() => this.write(fn)); }
    let out: T;
    try {
      out = this.store.write(() => fn(this.store));
    } catch (err) {
      this.store.changes.clear();
      return Promise.reject(err);
    }
    return this.recalculate().then(() => out);
  }

  /**
   * Runs a large write to one table in steps that give the event loop back (records.ts generators, one
   * transaction: all or nothing), then recalculates; see {@link stepped} for who waits meanwhile.
   */
  private writeInSteps<T>(tableId: string, steps: (store: Store) => Generator<void, T, void>): Promise<T> {
    this.check();
    if (this.recalc) { return this.recalc.catch(() => undefined).then(() => this.writeInSteps(tableId, steps)); }
    if (this.stepped) { return this.stepped.done.catch(() => undefined).then(() => this.writeInSteps(tableId, steps)); }
    let table: string;
    try {
      table = this.store.read(() => this.store.resolve(tableId).tableId);
    } catch {
      // An unknown table: the one-step write gives the error.
      return this.write((s) => runSteps(steps(s)));
    }
    const done = this.store.writeInSteps(() => steps(this.store), nextTurn).then(
      (out) => {
        this.stepped = undefined;
        return this.recalculate().then(() => out);
      },
      (err: unknown) => {
        this.stepped = undefined;
        this.store.changes.clear();
        throw err;
      },
    );
    this.stepped = { tableId: table, done };
    return done;
  }

  /** Whether a read of `tableId` (undefined: of the whole document) must wait for the stepped write. */
  private waitsForStepped(tableId: string | undefined): boolean {
    if (!this.stepped) { return false; }
    if (tableId === undefined) { return true; }
    try {
      return this.store.resolve(tableId).tableId === this.stepped.tableId;
    } catch {
      return true;
    }
  }

  /** Resolves once no recalculation runs and no stepped write holds `tableId` (undefined: any table). */
  private async settled(tableId: string | undefined): Promise<void> {
    this.check();
    for (;;) {
      if (this.recalc) { await this.recalc.catch(() => undefined); }
      else if (this.stepped && this.waitsForStepped(tableId)) { await this.stepped.done.catch(() => undefined); }
      else { return; }
      this.check();
    }
  }

  /** Hands the changes of the last write to the formula engine; resolves once formula values are stored. */
  private recalculate(): Promise<void> {
    if (this.store.changes.empty) { return Promise.resolve(); }
    const run = this.formulas.afterWrite(this.store.changes.take()).catch((err: unknown) => {
      throw documentError(500, `The write was saved, but formulas could not be recalculated: ${err instanceof Error ? err.message : String(err)}`);
    }).finally(() => {
      if (this.recalc === run) { this.recalc = undefined; }
    });
    this.recalc = run;
    return run;
  }

  /** How many formula cells the last recalculation evaluated (tests and benchmarks: only what a write affects). */
  get formulaCellsEvaluated(): number {
    return this.formulas.lastEvaluated;
  }

  /** Where the time of the last recalculation went, phase by phase in ms (benchmarks; formulas/engine.ts). */
  get formulaPhases(): RecalcPhases {
    return this.formulas.lastPhases;
  }

  /**
   * Runs a read after any recalculation in progress (so formula values are current), on a fresh structure
   * (another process may have changed it).
   */
  private readOnly<T>(fn: (store: Store) => T, tableId?: string): Promise<T> {
    this.check();
    if (this.recalc || this.waitsForStepped(tableId)) { return this.settled(tableId).then(() => this.readOnly(fn, tableId)); }
    return Promise.resolve(this.store.read(() => fn(this.store)));
  }

  /** {@inheritDoc EmbeddedDocumentApi.resolveTableId} */
  resolveTableId(tableIdOrRef: string): string {
    this.check();
    return this.store.read(() => this.store.resolve(tableIdOrRef).tableId);
  }

  /** `GET /tables`. */
  async listTables(): Promise<TableInfo[]> {
    return this.readOnly((s) => tables.listTables(s));
  }

  /** `GET /tables?expand=column`. */
  async listTablesWithColumns(): Promise<TableInfoWithColumns[]> {
    return this.readOnly((s) => s.userTables().map((t) => ({
      id: t.tableId, fields: { ...t.fields }, columns: t.columns.filter((c) => !c.hidden).map(columnInfo),
    })));
  }

  /** `GET /columns`. */
  async listColumns(tableId: string, options: { hidden?: boolean } = {}): Promise<ColumnInfo[]> {
    return this.readOnly((s) => columns.listColumns(s, tableId, options.hidden), tableId);
  }

  /** `GET /records`. */
  async getRecords(tableId: string, options: GetRecordsOptions = {}): Promise<GristRecord[]> {
    return this.readOnly((s) => read.getRecords(s, s.resolve(tableId), options), tableId);
  }

  /** One page of a sorted read after a keyset position, from a cached sort order (sorted-pages.ts). */
  async getSortedPage(tableId: string, options: SortedPageOptions): Promise<{ records: GristRecord[]; more: boolean }> {
    // A missing order is built in steps that let other requests run (sorted-pages.ts), then the page is read.
    await this.sortedOrders.prepare(this.store, tableId, options, () => this.settled(tableId));
    return this.readOnly((s) => readSortedPage(s, s.resolve(tableId), options, this.sortedOrders), tableId);
  }

  /** Records with error cells inline (`GET /data`). */
  async getRecordsRaw(tableId: string, options: GetRecordsOptions = {}): Promise<{ id: number; fields: Record<string, CellValue> }[]> {
    return this.readOnly((s) => {
      const table = s.resolve(tableId);
      const rows = read.readRows(s, table, options);
      const out = read.outputColumns(table, options.hidden);
      const idx = read.indexesOf(table, out);
      return rows.map((r) => read.toRawRecord(r, out, idx));
    }, tableId);
  }

  /** Streams records in batches of about 1000. */
  async *iterateRecords(tableId: string, options: GetRecordsOptions = {}): AsyncIterable<GristRecord[]> {
    await this.settled(tableId);
    const table = this.store.read(() => this.store.resolve(tableId));
    const batches = read.iterateRows(this.store, table, options);
    for (;;) {
      // Each batch is its own read: not while a stepped write holds the table.
      await this.settled(tableId);
      const next = batches.next();
      if (next.done) { return; }
      yield next.value;
      this.check();
    }
  }

  /** The tables and columns a SQL statement would read (for table-scoped tokens), from its compiled program. */
  async sqlReads(query: string): Promise<SqlReads> {
    this.check();
    return sqlReads(this.db, query);
  }

  /** `POST /sql`, run by a separate read-only process. */
  async sql(query: string, options: SqlOptions = {}): Promise<SqlResult> {
    this.check();
    await this.recalc?.catch(() => undefined);
    this.sqlRunner ??= new SqlRunner(this.path, { maxTimeoutMs: this.options.sqlTimeoutMs ?? 1000 });
    return this.sqlRunner.run(query, options);
  }

  /** `POST /records` (and `POST /data` with `missingAsDefault`). */
  async addRecords(tableId: string, recs: { fields?: Fields }[], options: AddRecordsOptions = {}): Promise<number[]> {
    // A large add is written in steps (one transaction) so that other requests are served meanwhile.
    if (recs.length > limits.writeStepRows) {
      return this.writeInSteps(tableId, (s) => records.addRecordsInSteps(s, tableId, recs, options, limits.writeStepRows));
    }
    return this.write((s) => records.addRecords(s, tableId, recs, options));
  }

  /** `PATCH /records`. */
  async updateRecords(tableId: string, recs: { id: number; fields: Fields }[], options: WriteOptions = {}): Promise<void> {
    return this.write((s) => records.updateRecords(s, tableId, recs, options));
  }

  /** `PUT /records`. */
  async upsertRecords(tableId: string, recs: UpsertRecord[], options: UpsertOptions = {}): Promise<UpsertResult> {
    return this.write((s) => upsertRecords(s, tableId, recs, options));
  }

  /** `POST /records/delete`. */
  async deleteRecords(tableId: string, ids: number[]): Promise<void> {
    await this.write((s) => records.deleteRecords(s, tableId, ids));
  }

  /** `POST /tables`. */
  async createTables(newTables: NewTable[]): Promise<string[]> {
    return this.write((s) => tables.createTables(s, newTables).map((t) => t.tableId));
  }

  /** Renames a table; returns the final id. */
  async renameTable(tableId: string, newTableId: string): Promise<string> {
    return this.write((s) => tables.renameTable(s, tableId, newTableId));
  }

  /** Removes a table. */
  async removeTable(tableId: string): Promise<void> {
    return this.write((s) => tables.removeTable(s, tableId));
  }

  /** `PATCH /tables`. */
  async updateTables(list: { id: string; fields: Record<string, unknown> }[]): Promise<void> {
    return this.write((s) => tables.updateTables(s, list));
  }

  /** `POST /columns`. */
  async addColumns(tableId: string, cols: NewColumn[]): Promise<string[]> {
    return this.write((s) => columns.addColumns(s, tableId, cols).map((c) => c.colId));
  }

  /** `PATCH /columns`. */
  async modifyColumns(tableId: string, cols: { id: string; fields: ColumnFieldsInput }[]): Promise<void> {
    return this.write((s) => columns.modifyColumns(s, tableId, cols));
  }

  /** `PUT /columns`. */
  async putColumns(tableId: string, cols: { id: string; fields: ColumnFieldsInput }[], options: PutColumnsOptions = {}): Promise<void> {
    return this.write((s) => columns.putColumns(s, tableId, cols, options));
  }

  /** `DELETE /columns/{colId}`. */
  async deleteColumn(tableId: string, colId: string): Promise<void> {
    return this.write((s) => columns.deleteColumn(s, tableId, colId));
  }

  /** `POST /attachments`. */
  async uploadAttachments(files: AttachmentUpload[]): Promise<number[]> {
    // Hashing megabytes takes tens of ms: done in slices before the write, not inside it.
    const sha1s: string[] = [];
    for (const f of files) sha1s.push(await attachments.sha1HexInSlices(f.data));
    return this.write((s) => attachments.uploadAttachments(s, files, sha1s));
  }

  /** `GET /attachments`. */
  async listAttachments(options: GetRecordsOptions = {}): Promise<{ id: number; fields: AttachmentMetadata }[]> {
    return this.readOnly((s) => attachments.listAttachments(s, options));
  }

  /** `GET /attachments/{id}`. */
  async getAttachmentMetadata(id: number): Promise<AttachmentMetadata> {
    return this.readOnly((s) => attachments.getAttachmentMetadata(s, id));
  }

  /** `GET /attachments/{id}/download`. */
  async downloadAttachment(id: number): Promise<AttachmentDownload> {
    return this.readOnly((s) => attachments.downloadAttachment(s, id));
  }

  /** `POST /attachments/removeUnused`. */
  async removeUnusedAttachments(): Promise<void> {
    return this.write((s) => attachments.removeUnusedAttachments(s));
  }

  /** `POST /apply`. */
  async applyUserActions(actions: unknown[], options: WriteOptions = {}): Promise<ApplyResult> {
    return this.write((s) => applyUserActions(s, actions, options.noparse));
  }

  /** Closes the SQL runner and the connection; later calls fail. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) { return; }
    this.closed = true;
    await this.stepped?.done.catch(() => undefined);
    await this.recalc?.catch(() => undefined);
    await this.formulas.drop();
    const runner = this.sqlRunner;
    this.sqlRunner = undefined;
    try {
      if (runner) { await runner.close(); }
      await this.checkpoints.close();
    } finally {
      this.db.close();
    }
  }
}
