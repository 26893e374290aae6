/**
 * Response helpers of the Grist-compatible REST API: every JSON answer (success or failure) carries
 * `Content-Type: application/json; charset=utf-8` and `Cache-Control: no-cache`, as Grist sends them.
 */
import { GristError } from '../backend/errors.js';

/** The content type of every JSON answer. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A JSON response. `body` undefined is sent as the JSON literal `null` (Grist's answer to most writes). */
export function jsonResponse(body: unknown, status = 200, extraHeaders?: Record<string, string>, noCache = true): Response {
  return new Response(JSON.stringify(body === undefined ? null : body), {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...(noCache ? { 'cache-control': 'no-cache' } : {}), ...extraHeaders },
  });
}

/**
 * The response for a thrown value: a {@link GristError} keeps its status and JSON body; anything else is
 * a 500 with the error's message (Grist also sends internal messages; they never hold secrets here
 * because the API key is only compared, never echoed).
 */
export function errorResponse(err: unknown): Response {
  if (err instanceof GristError) {
    return jsonResponse(err.toJSON(), err.status);
  }
  const message = err instanceof Error ? err.message : String(err);
  return jsonResponse({ error: message }, 500);
}

/** Shorthand for throwing Grist's `{"error": message}` with a status. */
export function fail(status: number, message: string): never {
  throw new GristError(status, message);
}
