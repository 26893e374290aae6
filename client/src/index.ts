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
 * {@link iterateRecords}.
 */
import { createTRPCClient, httpBatchLink, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { gatewayErrorLink } from './errors.js';
import type { AppRouter } from './router.js';
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
export { iterateRecords, type IterateOptions } from './iterate.js';

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

/** Creates a typed client; the transformer, the auth header and typed errors are set up for you. */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const base = options.url.replace(/\/+$/, '').replace(/\/api\/v1\/proxy$/, '');
  const transport = {
    url: `${base}/trpc`,
    transformer: superjson,
    headers: () => ({ authorization: `Bearer ${options.token}` }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  return createTRPCClient<AppRouter>({
    links: [
      gatewayErrorLink(),
      // A batch is capped so one HTTP request stays well under the gateway's body limit.
      options.batch === false ? httpLink(transport) : httpBatchLink({ ...transport, maxItems: 10 }),
    ],
  });
}
