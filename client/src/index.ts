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
 */
import { createTRPCClient, httpLink, TRPCClientError, type TRPCClient } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '@grist-gateway/server';

export type { AppRouter };

/** Options of {@link createGatewayClient}. */
export interface GatewayClientOptions {
  /** Base URL of the gateway, e.g. `http://127.0.0.1:3000` (the `proxy_url` origin). */
  url: string;
  /** A session token (`sess_...`), or an agent token (then data methods need `document`). */
  token: string;
  /** A `fetch` implementation (defaults to the global one). */
  fetch?: typeof fetch;
}

/** The typed client: one property per gateway method. */
export type GatewayClient = TRPCClient<AppRouter>;

/** Creates a typed client; the transformer and the auth header are set for you. */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const base = options.url.replace(/\/+$/, '').replace(/\/api\/v1\/proxy$/, '');
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${base}/trpc`,
        transformer: superjson,
        headers: () => ({ authorization: `Bearer ${options.token}` }),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}

/** The stable error codes of the gateway (same as the JSON proxy's `code`). */
export type GatewayErrorCode =
  | 'INVALID_TOKEN'
  | 'TOKEN_EXPIRED'
  | 'UNAUTHORIZED'
  | 'INVALID_REQUEST'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'GRIST_ERROR'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL_ERROR';

/** What a failed call tells you. */
export interface GatewayClientError {
  /** Stable code. */
  code: GatewayErrorCode;
  /** Clear message naming what was wrong. */
  message: string;
  /** Facts like table, column, rows written before a failure. */
  details: Record<string, unknown> | null;
}

/** Reads the gateway's code, message and details out of an error thrown by a client call. */
export function gatewayError(err: unknown): GatewayClientError | undefined {
  if (!(err instanceof TRPCClientError)) return undefined;
  const data = err.data as { gatewayCode?: GatewayErrorCode; details?: Record<string, unknown> | null } | undefined;
  return { code: data?.gatewayCode ?? 'INTERNAL_ERROR', message: err.message, details: data?.details ?? null };
}
