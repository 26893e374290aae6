/**
 * {@link DocBackend} for a document on a real Grist server, over its REST API (`shared/grist-api.md`).
 *
 * Reads page through big tables (`iterateRecords`), writes are chunked (`writes.ts`), every request goes
 * through one {@link GristClient} (auth, timeouts, bounded concurrency, retries of idempotent requests).
 */
import { GristError } from '../../backend/errors.js';
import type {
  AttachmentDownload,
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
  SqlResult,
  TableInfo,
  UpsertOptions,
  UpsertRecord,
  UpsertResult,
  WriteOptions,
} from '../../backend/types.js';
import { GristClient, seg, type GristClientOptions } from './client.js';
import { buildUploadBody } from './multipart.js';
import { RecordReader, sortParam } from './reads.js';
import { idsAt, listAt, numberList, objectAnswer } from './shapes.js';
import { RecordWriter } from './writes.js';

/** Settings of a {@link GristHttpBackend}. */
export interface GristHttpBackendOptions extends GristClientOptions {
  /** Rows per write request. Default 500. */
  chunkSize?: number | undefined;
  /** Rows per page of `iterateRecords`. Default 5000. */
  pageSize?: number | undefined;
}

/** One Grist document reached over HTTP. */
export class GristHttpBackend implements DocBackend {
  readonly #client: GristClient;
  readonly #reader: RecordReader;
  readonly #writer: RecordWriter;
  readonly #pageSize: number;

  constructor(options: GristHttpBackendOptions) {
    const chunkSize = options.chunkSize ?? 500;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
    this.#client = new GristClient(options);
    this.#reader = new RecordReader(this.#client);
    this.#writer = new RecordWriter(this.#client, chunkSize, options.maxInFlight ?? 4);
    this.#pageSize = options.pageSize ?? 5000;
  }

  /** The server as shown in messages (no credentials). */
  get server(): string {
    return this.#client.server;
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
    return idsAt(answer, 'tables', 'string', 'POST /tables');
  }

  /**
   * `PATCH /tables` answers `null`, so the final (normalised) id is found by the table's tableRef, which a
   * rename does not change. The PATCH is not retried: a repeat after a lost answer would hit the old name.
   */
  async renameTable(tableId: string, newTableId: string): Promise<string> {
    const before = (await this.listTables()).find((t) => t.id === tableId);
    await this.#client.json({
      method: 'PATCH',
      path: '/tables',
      jsonText: JSON.stringify({ tables: [{ id: tableId, fields: { tableId: newTableId } }] }),
      idempotent: false,
    });
    if (!before) return newTableId; // Grist accepted a table it did not list (a numeric ref): best effort.
    const after = (await this.listTables()).find((t) => t.fields.tableRef === before.fields.tableRef);
    return after?.id ?? newTableId;
  }

  /**
   * `RemoveTable` through `/apply` (no REST endpoint exists). Grist answers an unknown table there with
   * 500 `[Sandbox] ValueError No such table: X`; it is reported as the REST endpoints do, 404.
   */
  async removeTable(tableId: string): Promise<void> {
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
    const answer = await this.#client.json({ method: 'POST', path, jsonText: JSON.stringify({ columns }) });
    return idsAt(answer, 'columns', 'string', `POST ${path}`);
  }

  async modifyColumns(tableId: string, columns: { id: string; fields: ColumnFieldsInput }[]): Promise<void> {
    // Not retried: a repeated colId/label rename would fail or rename twice.
    await this.#client.json({
      method: 'PATCH',
      path: `/tables/${seg(tableId)}/columns`,
      jsonText: JSON.stringify({ columns }),
      idempotent: false,
    });
  }

  async deleteColumn(tableId: string, colId: string): Promise<void> {
    await this.#client.json({ method: 'DELETE', path: `/tables/${seg(tableId)}/columns/${seg(colId)}` });
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
