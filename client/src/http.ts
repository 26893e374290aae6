/**
 * Plain HTTP calls to the gateway's non-tRPC endpoints (attachments, schema types), with the bearer
 * token, and failures turned into the client's typed errors.
 */
import { GatewayClientError, unreachableMessage } from './errors.js';

/** Where and how to call the gateway. */
export interface GatewayTransport {
  /** The gateway's base URL, without trailing slash. */
  base: string;
  /** The bearer token. */
  token: string;
  /** A `fetch` implementation (defaults to the global one). */
  fetch?: typeof fetch;
}

/** The gateway's base URL from what a user may pass: trailing slashes and a `proxy_url` path removed. */
export function gatewayBase(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/api\/v1\/proxy$/, '');
}

/**
 * Calls `url` with the token. Resolves to a 2xx response; rejects with a {@link GatewayClientError}:
 * the gateway's code and message for an error answer, `UNAVAILABLE` naming the URL and the cause when
 * there was no answer at all.
 */
export async function gatewayFetch(transport: GatewayTransport, url: string, init: RequestInit): Promise<Response> {
  const doFetch = transport.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${transport.token}` } });
  } catch (err) {
    const cause = err instanceof Error ? err : new Error(String(err));
    throw GatewayClientError.fromAnswer(503, { error: unreachableMessage(url, err), code: 'UNAVAILABLE' }, url, cause);
  }
  if (!response.ok) {
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    throw GatewayClientError.fromAnswer(response.status, body, url);
  }
  return response;
}
