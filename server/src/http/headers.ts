/**
 * Headers on every answer of the gateway's API: `Cache-Control: no-store` (answers can carry session
 * tokens and document data: no proxy or browser cache may keep them) and `X-Content-Type-Options:
 * nosniff` (a browser must not reinterpret a JSON or attachment answer as HTML).
 */
import type { MiddlewareHandler } from 'hono';

/** The API headers, as {@link jsonAnswer} sets them. */
const API_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

/** Answers made by {@link jsonAnswer}: they carry the API headers already. */
const complete = new WeakSet<Response>();

/**
 * A JSON answer with the API headers already in place, as a plain header object. On Node that is
 * @hono/node-server's fastest path (no `Headers` object is built, copied or iterated), and the middleware
 * below leaves it alone. The hot answers (the JSON proxy's) are made this way.
 */
export function jsonAnswer(body: unknown, status = 200, headers?: Record<string, string>): Response {
  const res = new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...API_HEADERS, ...headers } });
  complete.add(res);
  return res;
}

/** Middleware adding the API headers to the answer, unless the handler chose its own Cache-Control. */
export function apiHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (complete.has(c.res)) return;
    try {
      if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store');
      c.res.headers.set('x-content-type-options', 'nosniff');
    } catch {
      // An immutable Response (a stream already handed to Node): its headers were sent already.
    }
  };
}
