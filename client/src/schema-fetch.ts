/**
 * {@link fetchSchemaTypes}: the schema module of a live document, from the gateway's
 * `GET /api/v1/types.ts` (what `npx @grist-gateway/client types` writes to a file).
 */
import { gatewayBase, gatewayFetch } from './http.js';

/** Options of {@link fetchSchemaTypes}. */
export interface FetchSchemaTypesOptions {
  /** Base URL of the gateway, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** A session token, or an agent token (then `document` is required); `read` or `schema` on the document. */
  token: string;
  /** Document name (with an agent token). */
  document?: string;
  /** Name of the exported schema type (default `Schema`). */
  name?: string;
  /** Let Choice columns hold values outside their listed choices (adds `(string & {})`). */
  openChoices?: boolean;
  /** A `fetch` implementation (defaults to the global one). */
  fetch?: typeof fetch;
}

/**
 * Fetches the TypeScript module describing every table of the document (`export type Schema = {...}`).
 *
 * @throws {GatewayClientError} with the gateway's code (`UNAUTHORIZED`, `NOT_FOUND`, `INVALID_REQUEST`...),
 *   or `UNAVAILABLE` naming the URL when the gateway cannot be reached.
 */
export async function fetchSchemaTypes(options: FetchSchemaTypesOptions): Promise<string> {
  const base = gatewayBase(options.url);
  const query = new URLSearchParams();
  if (options.document !== undefined) query.set('document', options.document);
  if (options.name !== undefined) query.set('name', options.name);
  if (options.openChoices) query.set('open_choices', 'true');
  const search = query.toString();
  const url = `${base}/api/v1/types.ts${search ? `?${search}` : ''}`;
  const response = await gatewayFetch({ base, token: options.token, ...(options.fetch ? { fetch: options.fetch } : {}) }, url, { method: 'GET' });
  return response.text();
}
