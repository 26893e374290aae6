/**
 * The backend interface: one instance per document. Every data operation of the gateway goes through it.
 *
 * Shapes follow Grist's REST API (`shared/grist-api.md`). Two implementations exist: the embedded SQLite
 * engine (`server/src/engine/`) and the HTTP backend that talks to a real Grist. Both throw
 * {@link GristError} with Grist's status and message for every failure.
 */

/**
 * A cell value as Grist's REST API encodes it: a JSON primitive, or a list whose first element is a
 * one-letter type code (`["L", ...]` for lists, `["E", name]` for errors, ...).
 */
export type CellValue = number | string | boolean | null | [string, ...unknown[]];

/** Field values of one record, keyed by column id. */
export type Fields = Record<string, CellValue>;

/** A record as `GET /records` returns it. `errors` is present only when a cell holds an error. */
export interface GristRecord {
  id: number;
  fields: Fields;
  errors?: Record<string, string>;
}

/** The six `fields` of a table in `GET /tables`. */
export interface TableFields {
  tableRef: number;
  primaryViewId: number;
  summarySourceTable: number;
  onDemand: boolean;
  rawViewSectionRef: number;
  recordCardViewSectionRef: number;
}

/** One entry of `GET /tables`. */
export interface TableInfo {
  id: string;
  fields: TableFields;
}

/** The 17 `fields` of a column in `GET /columns`, in Grist's order. */
export interface ColumnFields {
  colRef: number;
  label: string;
  isFormula: boolean;
  type: string;
  parentId: number;
  parentPos: number;
  /** JSON-encoded string, or `""`. */
  widgetOptions: string;
  formula: string;
  description: string;
  untieColIdFromLabel: boolean;
  summarySourceCol: number;
  displayCol: number;
  visibleCol: number;
  rules: unknown;
  reverseCol: number;
  recalcWhen: number;
  recalcDeps: unknown;
}

/** One entry of `GET /columns`. */
export interface ColumnInfo {
  id: string;
  fields: ColumnFields;
}

/**
 * Writable column fields, as accepted by `POST /tables`, `POST/PATCH/PUT /columns`.
 * `colId` renames (PATCH only). Unknown keys are ignored on create and rejected on PATCH, as Grist does.
 */
export interface ColumnFieldsInput {
  type?: string;
  label?: string;
  isFormula?: boolean;
  formula?: string;
  /** JSON-encoded string, as Grist requires. */
  widgetOptions?: string;
  colId?: string;
  untieColIdFromLabel?: boolean;
  visibleCol?: number;
  description?: string;
  [key: string]: unknown;
}

/** A column to create: `id` may be missing or empty (Grist then picks `A`, `B`, ...). */
export interface NewColumn {
  id?: string;
  fields?: ColumnFieldsInput;
}

/** A table to create. */
export interface NewTable {
  id?: string;
  columns: NewColumn[];
}

/** Options of a records read (`GET /records` query parameters). */
export interface GetRecordsOptions {
  /** Column id -> allowed values. AND across columns, OR within one; values must be lists. */
  filter?: Record<string, CellValue[]>;
  /** Sort keys, e.g. `["-Price", "Name:naturalSort"]` or the comma-separated string `"-Price,Name"`. */
  sort?: string | string[];
  /** 0 or absent = no limit; negative drops that many rows from the end (as Grist). */
  limit?: number;
  /** Include `manualSort` and `gristHelper_*` columns. */
  hidden?: boolean;
  /**
   * Keyset paging: only rows with `id > afterId`, in id order (combine with `limit`, not with `sort`).
   * Not a Grist query parameter; backends implement it natively (the embedded engine in SQL, the HTTP
   * backend through a `filter` on ids found with `/sql`).
   */
  afterId?: number;
}

/** A keyset position in a sorted read: after this row, whose sort values (and manualSort) were these. */
export interface SortPosition {
  id: number;
  /** Values of the sort columns, in sort-key order, as `GET /records` shows them. */
  values?: readonly CellValue[] | undefined;
  /** The row's manualSort (Grist's tie-break); looked up by id when absent. */
  manualSort?: number | null | undefined;
}

/** One page of a sorted read, with the position of each record (for cursors). */
export interface SortedPage {
  records: GristRecord[];
  /** `positions[i]` is the keyset position of `records[i]`. */
  positions: SortPosition[];
}

/** Options of {@link DocBackend.getSortedPage}. */
export interface SortedPageOptions {
  filter?: Record<string, CellValue[]>;
  /** Sort keys, as for getRecords (required). */
  sort: string;
  /** The previous page's last row: its id and its values of the sort keys, in key order. */
  after?: { id: number; values: readonly CellValue[] };
  /** Page size (positive). */
  limit: number;
}

/** Options of writes that take string values (`?noparse=`). */
export interface WriteOptions {
  /** Skip string parsing of ChoiceList/RefList/Ref values (Grist's `noparse`). */
  noparse?: boolean;
}

/** One entry of an upsert (`PUT /records`). */
export interface UpsertRecord {
  require: Fields;
  fields?: Fields;
}

/** Options of an upsert (`PUT /records` query parameters). */
export interface UpsertOptions extends WriteOptions {
  onmany?: 'first' | 'none' | 'all';
  noadd?: boolean;
  noupdate?: boolean;
  allowEmptyRequire?: boolean;
}

/** Grist's upsert answer. */
export interface UpsertResult {
  /** Per request entry, the rows it matched or created. */
  recordIds: number[][];
  /** Rows created, in creation order. */
  addRecordIds: number[];
  /** Per updating entry, the rows it updated. */
  updateRecordIds: number[][];
}

/** Options of a SQL query. */
export interface SqlOptions {
  /** Positional arguments for `?` placeholders. */
  args?: unknown[] | null;
  /** Milliseconds; can only lower the backend's maximum (1000 ms by default). */
  timeoutMs?: number;
  /** Aborted when the caller went away: a queued query is dropped, a running one stopped. */
  signal?: AbortSignal;
  /** Who is asking (for fair queueing between callers of one document); never a token. */
  principal?: string;
}

/** The answer of `POST /sql`. */
export interface SqlResult {
  statement: string;
  records: { fields: Record<string, unknown> }[];
}

/**
 * What a read-only SQL statement reads, found without running it: the tables (by id) and, per table, the
 * columns; or why that cannot be told.
 */
export type SqlReads = { ok: true; tables: ReadonlyMap<string, ReadonlySet<string>> } | { ok: false; why: string };

/** Metadata of one attachment, as `GET /attachments/{id}` returns it. */
export interface AttachmentMetadata {
  fileName: string;
  fileSize: number;
  /** ISO 8601 UTC with milliseconds. */
  timeUploaded: string;
}

/** A file to upload. */
export interface AttachmentUpload {
  fileName: string;
  data: Uint8Array;
}

/** A downloadable attachment. */
export interface AttachmentDownload {
  fileName: string;
  /** e.g. `text/plain; charset=utf-8`, `application/octet-stream`. */
  contentType: string;
  size: number;
  /** The file's bytes, as a stream so large files need not be held whole. */
  body: ReadableStream<Uint8Array>;
}

/**
 * One Grist document. Every method throws {@link GristError} on failure, with Grist's status and text.
 * Every write is atomic: it fully happens or not at all (the HTTP backend may split very large writes
 * into chunks; it then reports exactly which rows were written in `GristError.extra`).
 */
export interface DocBackend {
  /** `GET /tables`. */
  listTables(): Promise<TableInfo[]>;
  /** `GET /tables/{tableId}/columns`. */
  listColumns(tableId: string, options?: { hidden?: boolean }): Promise<ColumnInfo[]>;
  /** `GET /tables/{tableId}/records`. */
  getRecords(tableId: string, options?: GetRecordsOptions): Promise<GristRecord[]>;
  /**
   * Streams the same records as {@link getRecords}, a batch at a time, so a caller can walk a large table
   * without holding it whole.
   */
  iterateRecords(tableId: string, options?: GetRecordsOptions): AsyncIterable<GristRecord[]>;
  /**
   * Optional: one page of a sorted read strictly after `after`, in Grist's order, without reading the
   * table (the HTTP backend through keyset `/sql`). Undefined when the backend cannot do it for this query;
   * the caller then sorts the whole read.
   */
  sortedPage?(
    tableId: string,
    query: { filter?: Record<string, CellValue[]> | undefined; sort: string; after?: SortPosition | undefined; limit: number },
  ): Promise<SortedPage | undefined>;
  /**
   * Optional: one page of a sorted read, starting right after a keyset position (the last row of the
   * previous page: its id and sort values), without sorting the whole table again for every page.
   * Backends without it are paged by the router from {@link getRecords}.
   */
  getSortedPage?(tableId: string, options: SortedPageOptions): Promise<{ records: GristRecord[]; more: boolean }>;
  /** `POST /sql`: exactly one read-only SELECT (WITH allowed). */
  sql(query: string, options?: SqlOptions): Promise<SqlResult>;
  /**
   * Optional: the tables and columns `query` would read (used to allow `sql_query` to table-scoped tokens).
   * Backends that cannot prove it leave it out, and scoped tokens are then refused.
   */
  sqlReads?(query: string): Promise<SqlReads>;

  /** `POST /records`: returns the new row ids in request order. */
  addRecords(tableId: string, records: { fields?: Fields }[], options?: WriteOptions): Promise<number[]>;
  /** `PATCH /records`: all records must have the same field names. */
  updateRecords(tableId: string, records: { id: number; fields: Fields }[], options?: WriteOptions): Promise<void>;
  /** `PUT /records`. */
  upsertRecords(tableId: string, records: UpsertRecord[], options?: UpsertOptions): Promise<UpsertResult>;
  /** `POST /records/delete`: ids that do not exist are ignored. */
  deleteRecords(tableId: string, ids: number[]): Promise<void>;

  /** `POST /tables`: returns the final table ids in request order. */
  createTables(tables: NewTable[]): Promise<string[]>;
  /** Renames a table (`PATCH /tables` with `tableId`); returns the final (normalised) id. */
  renameTable(tableId: string, newTableId: string): Promise<string>;
  /** Removes a table and its data (`RemoveTable`). */
  removeTable(tableId: string): Promise<void>;

  /** `POST /columns`: returns the final column ids in request order. */
  addColumns(tableId: string, columns: NewColumn[]): Promise<string[]>;
  /** `PATCH /columns`: all entries must have the same field names. */
  modifyColumns(tableId: string, columns: { id: string; fields: ColumnFieldsInput }[]): Promise<void>;
  /** `DELETE /columns/{colId}`. */
  deleteColumn(tableId: string, colId: string): Promise<void>;

  /** `POST /attachments`: returns the new attachment ids in upload order. */
  uploadAttachments(files: AttachmentUpload[]): Promise<number[]>;
  /** `GET /attachments`. */
  listAttachments(options?: GetRecordsOptions): Promise<{ id: number; fields: AttachmentMetadata }[]>;
  /** `GET /attachments/{id}`. */
  getAttachmentMetadata(id: number): Promise<AttachmentMetadata>;
  /** `GET /attachments/{id}/download`. */
  downloadAttachment(id: number): Promise<AttachmentDownload>;

  /** Releases resources (file handles, connections). */
  close(): Promise<void>;
}
