/**
 * {@link DocBackend} for a document on a real Grist server, over its REST API (`shared/grist-api.md`).
 *
 * Reads page through big tables (`iterateRecords`), writes are chunked (`writes.ts`), every request goes
 * through one {@link GristClient} (auth, timeouts, bounded concurrency, retries of idempotent requests).
 */
import { GristError } from '../../backend/errors.js';
import type {
  AttachmentDownload,
  CellValue,
  AttachmentMetadata,
  AttachmentUpload,
  ColumnFieldsInput,
  ColumnInfo,
  DocBackend,
  Fields,
  GetRecordsOptions,
  GristRecord,
  NewColumn,
  NewTable,
  SqlOptions,
  SortedPage,
  SortPosition,
  SqlResult,
  TableInfo,
  UpsertOptions,
  UpsertRecord,
  UpsertResult,
  WriteOptions,
} from '../../backend/types.js';
import { GristClient, seg, type GristClientOptions } from './client.js';
import { buildUploadBody } from './multipart.js';
import { DocCapabilities } from './capabilities.js';
import { ColumnTypes } from './column-types.js';
import { RecordReader, sortParam } from './reads.js';
import { idsAt, listAt, numberList, objectAnswer } from './shapes.js';
import { RecordWriter } from './writes.js';

/** Settings of a {@link GristHttpBackend}. */
export interface GristHttpBackendOptions extends GristClientOptions {
  /** Most rows per write request (requests are sized by bytes first). Default 50,000. */
  chunkSize?: number | undefined;
  /** Bytes per write request (config `max_request_bytes`); Grist's default limit is 1 MB. Default 1,048,576. */
  maxRequestBytes?: number | undefined;
  /** How long a 403 from `/sql` (access rules) is remembered before `/sql` is tried again. Default 5 min. */
  sqlRecheckMs?: number | undefined;
  /** Rows per page of `iterateRecords`. Default 5000. */
  pageSize?: number | undefined;
}

/** Default row cap of one write request. */
export const DEFAULT_CHUNK_ROWS = 50_000;

/** One Grist document reached over HTTP. */
export class GristHttpBackend implements DocBackend {
  readonly #client: GristClient;
  readonly #reader: RecordReader;
  readonly #writer: RecordWriter;
  readonly #pageSize: number;
  /** What this document turned out to support (`/sql` allowed, newer endpoints, request budget). */
  readonly capabilities: DocCapabilities;

  constructor(options: GristHttpBackendOptions) {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_ROWS;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
    this.#client = new GristClient(options);
    this.capabilities = new DocCapabilities({ maxRequestBytes: options.maxRequestBytes, sqlRecheckMs: options.sqlRecheckMs });
    this.#reader = new RecordReader(this.#client, this.capabilities, new ColumnTypes(this.#client));
    this.#writer = new RecordWriter(this.#client, chunkSize, options.maxInFlight ?? 4, this.capabilities);
    this.#pageSize = options.pageSize ?? 5000;
  }

  /** The server as shown in messages (no credentials). */
  get server(): string {
    return this.#client.server;
  }

  /**
   * One page of a sorted read strictly after `after`, in one `/sql` request; undefined when this document
   * (access rules) or query (see `sql-pages.ts`) does not allow it, and the caller reads the sorted table.
   */
  sortedPage(
    tableId: string,
    query: { filter?: Record<string, CellValue[]> | undefined; sort: string; after?: SortPosition | undefined; limit: number },
  ): Promise<SortedPage | undefined> {
    return this.#reader.sortedPage(tableId, query);
  }

  async listTables(): Promise<TableInfo[]> {
    return listAt(await this.#client.json({ method: 'GET', path: '/tables' }), 'tables', 'GET /tables') as TableInfo[];
  }

  async listColumns(tableId: string, options: { hidden?: boolean } = {}): Promise<ColumnInfo[]> {
    const path = `/tables/${seg(tableId)}/columns`;
    const answer = await this.#client.json({ method: 'GET', path, query: { hidden: options.hidden ? 'true' : undefined } });
    return listAt(answer, 'columns', `GET ${path}`) as ColumnInfo[];
  }

  getRecords(tableId: string, options?: GetRecordsOptions): Promise<GristRecord[]> {
    return this.#reader.get(tableId, options);
  }

  iterateRecords(tableId: string, options?: GetRecordsOptions): AsyncIterable<GristRecord[]> {
    return this.#reader.iterate(tableId, options, this.#pageSize);
  }

  async sql(query: string, options: SqlOptions = {}): Promise<SqlResult> {
    const body: Record<string, unknown> = { sql: query };
    if (options.args !== undefined) body['args'] = options.args;
    if (options.timeoutMs !== undefined) body['timeout'] = options.timeoutMs;
    const answer = objectAnswer(await this.#client.json({ method: 'POST', path: '/sql', jsonText: JSON.stringify(body) }), 'POST /sql');
    listAt(answer, 'records', 'POST /sql');
    return answer as unknown as SqlResult;
  }

  addRecords(tableId: string, records: { fields?: Fields }[], options?: WriteOptions): Promise<number[]> {
    return this.#writer.add(tableId, records, options);
  }

  updateRecords(tableId: string, records: { id: number; fields: Fields }[], options?: WriteOptions): Promise<void> {
    return this.#writer.update(tableId, records, options);
  }

  upsertRecords(tableId: string, records: UpsertRecord[], options?: UpsertOptions): Promise<UpsertResult> {
    return this.#writer.upsert(tableId, records, options);
  }

  deleteRecords(tableId: string, ids: number[]): Promise<void> {
    return this.#writer.delete(tableId, ids);
  }

  async createTables(tables: NewTable[]): Promise<string[]> {
    const answer = await this.#client.json({ method: 'POST', path: '/tables', jsonText: JSON.stringify({ tables }) });
    this.#reader.schemaChanged();
    return idsAt(answer, 'tables', 'string', 'POST /tables');
  }

  /**
   * `PATCH /tables` answers `null`, so the final (normalised) id is found by the table's tableRef, which a
   * rename does not change. The PATCH is not retried: a repeat after a lost answer would hit the old name.
   */
  async renameTable(tableId: string, newTableId: string): Promise<string> {
    this.#reader.schemaChanged();
    const before = (await this.listTables()).find((t) => t.id === tableId);
    await this.#client.json({
      method: 'PATCH',
      path: '/tables',
      jsonText: JSON.stringify({ tables: [{ id: tableId, fields: { tableId: newTableId } }] }),
      idempotent: false,
    });
    if (!before) return newTableId; // Grist accepted a table it did not list (a numeric ref): best effort.
    this.#reader.schemaChanged();
    const after = (await this.listTables()).find((t) => t.fields.tableRef === before.fields.tableRef);
    return after?.id ?? newTableId;
  }

  /**
   * `RemoveTable` through `/apply` (no REST endpoint exists). Grist answers an unknown table there with
   * 500 `[Sandbox] ValueError No such table: X`; it is reported as the REST endpoints do, 404.
   */
  async removeTable(tableId: string): Promise<void> {
    this.#reader.schemaChanged(tableId);
    try {
      await this.#client.json({ method: 'POST', path: '/apply', jsonText: JSON.stringify([['RemoveTable', tableId]]) });
    } catch (err) {
      if (err instanceof GristError && err.status === 500 && /No such table: /.test(err.message)) {
        throw new GristError(404, `Table not found "${tableId}"`, { userError: err.message }, { kind: 'table', table: tableId });
      }
      throw err;
    }
  }

  async addColumns(tableId: string, columns: NewColumn[]): Promise<string[]> {
    const path = `/tables/${seg(tableId)}/columns`;
    this.#reader.schemaChanged(tableId);
    const answer = await this.#client.json({ method: 'POST', path, jsonText: JSON.stringify({ columns }) });
    this.#reader.schemaChanged(tableId);
    return idsAt(answer, 'columns', 'string', `POST ${path}`);
  }

  async modifyColumns(tableId: string, columns: { id: string; fields: ColumnFieldsInput }[]): Promise<void> {
    // Not retried: a repeated colId/label rename would fail or rename twice.
    this.#reader.schemaChanged(tableId);
    await this.#client.json({
      method: 'PATCH',
      path: `/tables/${seg(tableId)}/columns`,
      jsonText: JSON.stringify({ columns }),
      idempotent: false,
    });
    this.#reader.schemaChanged(tableId);
  }

  async deleteColumn(tableId: string, colId: string): Promise<void> {
    this.#reader.schemaChanged(tableId);
    await this.#client.json({ method: 'DELETE', path: `/tables/${seg(tableId)}/columns/${seg(colId)}` });
    this.#reader.schemaChanged(tableId);
  }

  async uploadAttachments(files: AttachmentUpload[]): Promise<number[]> {
    const raw = buildUploadBody(files);
    return numberList(await this.#client.json({ method: 'POST', path: '/attachments', raw }), 'POST /attachments');
  }

  /** `GET /attachments`; `afterId` is applied here (attachment lists are small), before `limit`. */
  async listAttachments(options: GetRecordsOptions = {}): Promise<{ id: number; fields: AttachmentMetadata }[]> {
    const keyset = options.afterId !== undefined;
    const answer = await this.#client.json({
      method: 'GET',
      path: '/attachments',
      query: {
        filter: options.filter === undefined ? undefined : JSON.stringify(options.filter),
        sort: keyset ? undefined : sortParam(options.sort),
        limit: !keyset && options.limit ? String(options.limit) : undefined,
      },
    });
    const records = listAt(answer, 'records', 'GET /attachments') as { id: number; fields: AttachmentMetadata }[];
    if (!keyset) return records;
    const after = records.filter((r) => r.id > (options.afterId ?? 0)).sort((a, b) => a.id - b.id);
    const limit = options.limit ?? 0;
    return limit > 0 ? after.slice(0, limit) : limit < 0 ? after.slice(0, Math.max(0, after.length + limit)) : after;
  }

  async getAttachmentMetadata(id: number): Promise<AttachmentMetadata> {
    const path = `/attachments/${seg(id)}`;
    return objectAnswer(await this.#client.json({ method: 'GET', path }), `GET ${path}`) as unknown as AttachmentMetadata;
  }

  /**
   * Streams the file. The name comes from the metadata (Grist mangles non-ASCII names in
   * Content-Disposition); both requests run at once.
   */
  async downloadAttachment(id: number): Promise<AttachmentDownload> {
    const [meta, download] = await Promise.allSettled([
      this.getAttachmentMetadata(id),
      this.#client.raw({ method: 'GET', path: `/attachments/${seg(id)}/download` }),
    ]);
    if (download.status === 'rejected') throw download.reason;
    if (meta.status === 'rejected') {
      download.value.discard();
      throw meta.reason;
    }
    const res = download.value;
    const length = Number(res.header('content-length'));
    return {
      fileName: meta.value.fileName,
      contentType: res.header('content-type') ?? 'application/octet-stream',
      size: Number.isFinite(length) && res.header('content-length') !== undefined ? length : meta.value.fileSize,
      body: res.stream(),
    };
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}
