/**
 * readIncomingLimited on a real node:http server over loopback: whole bodies (declared length or chunked),
 * refusals while the body streams in (the answer still reaches the client), and a client that goes away
 * mid-body (an error, not a hang).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readIncomingLimited } from './read-limited.js';

const LIMIT = 200_000;
let server: http.Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server answering 200 with the body's length and a checksum, or 413/400 with the error text. */
async function start(inspect?: (chunk: Buffer) => void): Promise<{ url: string; outcomes: Promise<unknown>[] }> {
  const outcomes: Promise<unknown>[] = [];
  server = http.createServer((req, res) => {
    const outcome = readIncomingLimited(req, LIMIT, () => new Error('too large'), inspect);
    outcomes.push(outcome.catch((err: unknown) => err));
    outcome.then(
      (body) => res.end(JSON.stringify({ length: body.length, sum: body.reduce((a, b) => (a + b) % 65536, 0) })),
      (err: unknown) => {
        res.writeHead(413, { connection: 'close' });
        res.end(String((err as Error).message));
      },
    );
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/`, outcomes };
}

/** Sends `parts` one write at a time (declared length or chunked), resolves to status and text. */
function send(url: string, parts: Buffer[], declare: boolean): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const total = parts.reduce((n, p) => n + p.length, 0);
    const req = http.request(url, { method: 'POST', headers: declare ? { 'content-length': String(total) } : {} });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    const write = (i: number): void => {
      if (i === parts.length) return void req.end();
      req.write(parts[i], () => setImmediate(() => write(i + 1)));
    };
    write(0);
  });
}

const parts = (n: number, size: number): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.alloc(size, i + 1));
const sumOf = (bufs: Buffer[]): number => Buffer.concat(bufs).reduce((a, b) => (a + b) % 65536, 0);

describe('readIncomingLimited', () => {
  it('reads a whole body, with a declared length and chunked', async () => {
    const { url } = await start();
    for (const declare of [true, false]) {
      const body = parts(7, 20_000);
      const res = await send(url, body, declare);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toEqual({ length: 140_000, sum: sumOf(body) });
    }
  });

  it('refuses a body over the limit while it streams in, and the answer still reaches the client', async () => {
    const { url } = await start();
    const declared = await send(url, parts(11, 20_000), true);
    expect([declared.status, declared.text]).toEqual([413, 'too large']);
    const chunked = await send(url, parts(11, 20_000), false);
    expect([chunked.status, chunked.text]).toEqual([413, 'too large']);
  });

  it('passes every chunk to inspect, which may refuse the body early', async () => {
    let seen = 0;
    const { url } = await start((chunk) => {
      seen += chunk.length;
      if (chunk.includes(9)) throw new Error('refused by inspect');
    });
    const ok = await send(url, parts(5, 10_000), true);
    expect(ok.status).toBe(200);
    expect(seen).toBe(50_000);
    const refused = await send(url, parts(10, 10_000), false);
    expect([refused.status, refused.text]).toEqual([413, 'refused by inspect']);
  });

  it('fails (does not hang) when the client goes away mid-body', async () => {
    const { url, outcomes } = await start();
    const req = http.request(url, { method: 'POST', headers: { 'content-length': '100000' } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(30_000, 1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    req.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(outcomes).toHaveLength(1);
    const err = (await outcomes[0]) as Error & { code?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).not.toBe('too large');
  });
});
