/** Reading request bodies with the gateway's size limit (PAYLOAD_TOO_LARGE), without trusting Content-Length. */
import type { IncomingMessage } from 'node:http';
import type { Context as HonoContext } from 'hono';
import { GatewayError } from '../errors.js';
import { readIncomingLimited, readRequestLimited } from '../util/read-limited.js';

/** Reads the whole body, refusing (PAYLOAD_TOO_LARGE) as soon as it exceeds `maxBytes`. */
export function readBodyLimited(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  return readRequestLimited(request, maxBytes, () => tooLarge(maxBytes));
}

/**
 * Reads a request's body as UTF-8 text with the same limit. On Node (@hono/node-server) it reads the
 * socket stream directly; elsewhere (tests with `app.request()`) it uses the standard Request.
 */
export async function readTextLimited(c: HonoContext, maxBytes: number): Promise<string> {
  return (await readBytesLimited(c, maxBytes)).toString('utf8');
}

/**
 * The same, as bytes (uploads). `inspect` (Node only) sees each chunk as it arrives and may refuse the body
 * before it is read whole, by throwing.
 */
export async function readBytesLimited(c: HonoContext, maxBytes: number, inspect?: (chunk: Buffer) => void): Promise<Buffer> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming || c.req.raw.bodyUsed || incoming.readableEnded) {
    return Buffer.from((await readBodyLimited(c.req.raw, maxBytes)).buffer);
  }
  return readIncomingLimited(incoming, maxBytes, () => tooLarge(maxBytes), inspect);
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('PAYLOAD_TOO_LARGE', `Request body is larger than the limit of ${maxBytes} bytes`);
}
