/**
 * What the embedded engine offers beyond the {@link DocBackend} interface: the extra operations its
 * Grist-compatible REST API (`server/src/grist-api/`) needs to answer every route the way Grist does.
 *
 * This file is the contract between the engine (`document.ts`, which implements it), the SQL module
 * (`sql.ts`) and the REST layer. Change it only together with both sides.
 */
import type Database from 'better-sqlite3';
import type {
  CellValue,
  ColumnFieldsInput,
  ColumnInfo,
  DocBackend,
  Fields,
  GetRecordsOptions,
  GristRecord,
  NewColumn,
  TableInfo,
  WriteOptions,
} from '../backend/types.js';

/** Options for opening or creating an embedded document. */
export interface EngineOptions {
  /** Maximum (and default) time of one SQL query, in ms. Grist's default is 1000. */
  sqlTimeoutMs?: number;
}

/** The answer of `POST /apply`. */
export interface ApplyResult {
  actionNum: number;
  actionHash: string | null;
  retValues: unknown[];
  isModification: boolean;
}

/** A table with its columns, for `GET /tables?expand=column`. */
export interface TableInfoWithColumns extends TableInfo {
  columns: ColumnInfo[];
}

/** Options of `PUT /columns`. */
export interface PutColumnsOptions {
  noadd?: boolean;
  noupdate?: boolean;
  replaceall?: boolean;
}

/** Options of an add that come from the column-oriented `POST /data` endpoint. */
export interface AddRecordsOptions extends WriteOptions {
  /**
   * When true, a field missing from a record gets the column's default (as `POST /data` does for a
   * short column list); when false (the `/records` rule), a field named by any record but missing from
   * this one is stored as `null`.
   */
  missingAsDefault?: boolean;
}

/**
 * An embedded Grist document kept in one SQLite file.
 *
 * All the {@link DocBackend} methods, plus what the REST layer needs. Every method throws `GristError`
 * with Grist's status and text; every write runs in one SQLite transaction.
 */
export interface EmbeddedDocumentApi extends DocBackend {
  /** The SQLite file of this document. */
  readonly path: string;
  /** The open connection (read-write). The SQL module opens its own read-only connection to `path`. */
  readonly db: Database.Database;

  /**
   * Resolves a `{tableId}` path segment: an exact (case-sensitive) table id, or a numeric tableRef.
   * Throws 404 `Table not found "X"` otherwise. Metadata tables (`_grist_*`) resolve too.
   */
  resolveTableId(tableIdOrRef: string): string;

  /** `GET /tables?expand=column`. */
  listTablesWithColumns(): Promise<TableInfoWithColumns[]>;

  /** `PATCH /tables`: `fields.tableId` renames; other known fields are accepted; unknown -> 400. */
  updateTables(tables: { id: string; fields: Record<string, unknown> }[]): Promise<void>;

  /** Like {@link DocBackend.addRecords}, with the `POST /data` option. */
  addRecords(tableId: string, records: { fields?: Fields }[], options?: AddRecordsOptions): Promise<number[]>;

  /** `PUT /columns`. */
  putColumns(
    tableId: string,
    columns: { id: string; fields: ColumnFieldsInput }[],
    options?: PutColumnsOptions,
  ): Promise<void>;

  /** Like {@link DocBackend.addColumns}; exported for `/apply` `AddColumn` as well. */
  addColumns(tableId: string, columns: NewColumn[]): Promise<string[]>;

  /**
   * Records with error cells left inline as `["E", name]` (for `GET /data`, which does not split them
   * out) and the hidden columns included when asked.
   */
  getRecordsRaw(tableId: string, options?: GetRecordsOptions): Promise<{ id: number; fields: Record<string, CellValue> }[]>;

  /** `POST /apply`: the user actions of section 9, applied atomically. */
  applyUserActions(actions: unknown[], options?: WriteOptions): Promise<ApplyResult>;

  /** `POST /attachments/removeUnused`. */
  removeUnusedAttachments(): Promise<void>;
}

export type { GristRecord };
