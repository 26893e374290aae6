/**
 * Answers given before the request's body was read (a refused token, an oversized body, an unknown
 * route) close the connection instead of keeping it alive. Keeping it alive means Node reads the rest of
 * the body and throws it away first, on the gateway's event loop: a client sending 32 MiB bodies without
 * a token would have every byte read for nothing (hundreds of MB per second of work while the others
 * wait). Closed, the socket stops being read once the answer is sent.
 */
import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';

/** Middleware: `Connection: close` on answers to requests whose declared body was not read to its end. */
export function closeUnreadBodies(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (!incoming || incoming.complete) return;
    const declared = Number(incoming.headers['content-length'] ?? 0);
    if (!(declared > 0) && incoming.headers['transfer-encoding'] === undefined) return;
    try {
      c.res.headers.set('connection', 'close');
    } catch {
      // An immutable Response (a stream already handed to Node): nothing to change.
    }
  };
}
