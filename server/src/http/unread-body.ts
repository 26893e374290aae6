/**
 * Answers given before the request's body was read (a refused token, an oversized body, an unknown
 * route) close the connection instead of keeping it alive. Keeping it alive means Node reads the rest of
 * the body and throws it away first, on the gateway's event loop: a client sending 32 MiB bodies without
 * a token would have every byte read for nothing (hundreds of MB per second of work while the others
 * wait). Closed, the socket stops being read once the answer is sent.
 *
 * Even with `Connection: close`, Node's server still resumes the unread body when the answer finishes
 * and keeps reading until the socket's shutdown completes: about 130 KB more per refused request (on top
 * of the first 64 KB that arrived with the headers), each read a fresh Buffer that is garbage until the
 * next GC. So once the answer is handed to the socket, the socket is closed at once instead. Node itself
 * closes such a socket with unread data a moment later (a TCP reset either way), so a client sees the same.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';

/** Middleware: `Connection: close` on answers to requests whose declared body was not read to its end. */
export function closeUnreadBodies(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const env = c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;
    const incoming = env?.incoming;
    if (!incoming || incoming.complete) return;
    const declared = Number(incoming.headers['content-length'] ?? 0);
    if (!(declared > 0) && incoming.headers['transfer-encoding'] === undefined) return;
    try {
      c.res.headers.set('connection', 'close');
    } catch {
      // An immutable Response (a stream already handed to Node): nothing to change.
      return;
    }
    // Runs after Node's own 'finish' handler (which schedules the body's drain for the next tick).
    env.outgoing?.once('finish', () => {
      if (!incoming.complete) incoming.socket?.destroy();
    });
  };
}
