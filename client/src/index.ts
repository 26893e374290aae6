/**
 * `@grist-gateway/client`: the typed client for grist-gateway scripts.
 *
 * ```ts
 * import { createGatewayClient } from '@grist-gateway/client';
 * const gg = createGatewayClient({ url: 'http://127.0.0.1:3000', token: process.env.GRIST_SESSION_TOKEN! });
 * const { record_ids } = await gg.add_records.mutate({ table: 'Orders', records: [{ Item: 'apple', Qty: 3 }] });
 * const { records } = await gg.get_records.query({ table: 'Orders', filter: { Item: ['apple'] } });
 * ```
 *
 * Every method of the gateway is a typed procedure (inputs and results checked at compile time); reads are
 * `.query()`, writes `.mutate()`. Failures are {@link GatewayClientError}s with the gateway's stable `code`.
 * Bulk helpers: {@link addRecordsInChunks}, {@link updateRecordsInChunks}, {@link upsertRecords},
 * {@link iterateRecords}. Attachments: `gg.uploadAttachment(file, name)`, `gg.downloadAttachment(id)`.
 *
 * Column-level types: generate a document's schema (`npx @grist-gateway/client types --url URL --token
 * TOKEN --out schema.ts`) and pass it: `createGatewayClient<Schema>({ url, token })`. Table names,
 * columns, value types and the read-only formula columns are then checked at compile time.
 */
import { createTRPCClient, httpBatchLink, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { attachmentMethods, type AttachmentMethods } from './attachments.js';
import { gatewayErrorLink } from './errors.js';
import { gatewayBase } from './http.js';
import type { AppRouter } from './router.js';
import type { AnyGatewayClient, GatewaySchema, TypedGatewayClient } from './schema.js';
import type { GatewayClient } from './types.js';

export type { AppRouter };
export {
  GatewayClientError,
  gatewayError,
  gatewayErrorCodes,
  gatewayErrorLink,
  type GatewayErrorCode,
  type GatewayErrorDetails,
  type GatewayErrorShape,
} from './errors.js';
export type { GatewayClient, GatewayInputs, GatewayOutputs, FlatRecord, NewRecord, RecordUpdate, UpsertEntry, TableOptions } from './types.js';
export { BulkWriteError, type ChunkOptions, type ChunkProgress } from './chunks.js';
export { addRecordsInChunks, updateRecordsInChunks, upsertRecords, type UpsertOptions, type UpsertResult } from './bulk.js';
export { iterateRecords, type IterateOptions, type IterateOptionsOf } from './iterate.js';
export type { AttachmentData, AttachmentMethods, DownloadedAttachment } from './attachments.js';
export type {
  AnyGatewayClient,
  ColumnName,
  GatewaySchema,
  NewRecordOf,
  RecordOf,
  RecordUpdateOf,
  SchemaOf,
  TableColumns,
  TableFields,
  TableFilter,
  TableName,
  TableQuery,
  TableRecord,
  TableRecordUpdate,
  TableSchema,
  TableSort,
  TableSortKey,
  TableUpsertEntry,
  TableOf,
  TypedGatewayClient,
  TypedRecordMethods,
  UpsertEntryOf,
  WritableColumnName,
} from './schema.js';
export { fetchSchemaTypes, type FetchSchemaTypesOptions } from './schema-fetch.js';
export {
  generateSchemaModule,
  type SchemaColumn,
  type SchemaDescription,
  type SchemaModuleOptions,
  type SchemaTable,
} from '@grist-gateway/shared/codegen';

/** Options of {@link createGatewayClient}. */
export interface GatewayClientOptions {
  /** Base URL of the gateway, e.g. `http://127.0.0.1:3000` (the `proxy_url` works too). */
  url: string;
  /** A session token (`sess_...`), or an agent token (then data methods need `document`). */
  token: string;
  /** A `fetch` implementation (defaults to the global one). */
  fetch?: typeof fetch;
  /**
   * Send calls made in the same tick as one HTTP request (tRPC's batching link; default `true`).
   * Set `false` for one request per call.
   */
  batch?: boolean;
}

/**
 * Creates a client; the transformer, the auth header and typed errors are set up for you.
 *
 * Without a type argument every method is typed as the gateway declares it (any table, any column).
 * With a generated schema, `createGatewayClient<Schema>(...)`, the record methods and the helpers only
 * accept the schema's tables, columns and value types, never a formula column in a write, and
 * get_records resolves to the table's row type.
 */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient;
export function createGatewayClient<S extends GatewaySchema>(options: GatewayClientOptions): TypedGatewayClient<S>;
export function createGatewayClient(options: GatewayClientOptions): AnyGatewayClient {
  const base = gatewayBase(options.url);
  const url = `${base}/trpc`;
  const transport = {
    url,
    transformer: superjson,
    headers: () => ({ authorization: `Bearer ${options.token}` }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const trpc = createTRPCClient<AppRouter>({
    links: [
      gatewayErrorLink({ url }),
      // A batch is capped so one HTTP request stays well under the gateway's body limit.
      options.batch === false ? httpLink(transport) : httpBatchLink({ ...transport, maxItems: 10 }),
    ],
  });
  const extra: AttachmentMethods = attachmentMethods({ base, token: options.token, ...(options.fetch ? { fetch: options.fetch } : {}) });
  // tRPC's client is a proxy that turns any property into a procedure path: the attachment methods are
  // served first, everything else goes to tRPC as before.
  return new Proxy(trpc, {
    get: (target, property, receiver) => (Object.hasOwn(extra, property) ? extra[property as keyof AttachmentMethods] : Reflect.get(target, property, receiver)),
  }) as GatewayClient;
}
