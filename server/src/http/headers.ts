/**
 * Headers on every answer of the gateway's API: `Cache-Control: no-store` (answers can carry session
 * tokens and document data: no proxy or browser cache may keep them) and `X-Content-Type-Options:
 * nosniff` (a browser must not reinterpret a JSON or attachment answer as HTML).
 */
import type { MiddlewareHandler } from 'hono';

/** Middleware adding the API headers to the answer, unless the handler chose its own Cache-Control. */
export function apiHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    try {
      if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store');
      c.res.headers.set('x-content-type-options', 'nosniff');
    } catch {
      // An immutable Response (a stream already handed to Node): its headers were sent already.
    }
  };
}
