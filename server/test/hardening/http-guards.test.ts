/**
 * HTTP-level hardening, over real HTTP on loopback: /trpc refuses before reading a body, tRPC batches are
 * capped, tRPC protocol errors carry INVALID_REQUEST, API answers are not cacheable, and the MCP endpoints
 * refuse foreign origins and rebound Host names.
 */
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let session: string;

beforeAll(async () => {
  gw = await startTestGateway();
  session = await gw.session(tokens.admin, ['read', 'write', 'schema']);
});
afterAll(async () => {
  await gw?.close();
});

/** The error of a tRPC answer (superjson wraps it in `json`; a batch answers an array). */
function trpcError(body: unknown): { message: string; data: { gatewayCode: string } } {
  const first = Array.isArray(body) ? body[0] : body;
  const error = (first as { error: { json?: unknown } }).error;
  return (error.json ?? error) as { message: string; data: { gatewayCode: string } };
}

/** Sends headers announcing `declared` bytes and only the first chunk; resolves with the answer (or 'no answer'). */
function postPartial(url: string, headers: Record<string, string>, declared: number, waitMs: number): Promise<{ status: number; body: string } | 'no answer'> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(declared) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
    req.write(Buffer.alloc(64 * 1024, 0x20));
    const timer = setTimeout(() => {
      req.destroy();
      resolve('no answer');
    }, waitMs);
  });
}

describe('/trpc authenticates before reading the body', () => {
  it('answers 401 INVALID_TOKEN while a huge body is still unsent', async () => {
    const answer = await postPartial(`${gw.url}/trpc/add_records`, { 'content-type': 'application/json' }, 60 * 1024 * 1024, 3000);
    expect(answer).not.toBe('no answer');
    if (answer === 'no answer') return;
    expect(answer.status).toBe(401);
    expect(trpcError(JSON.parse(answer.body)).data.gatewayCode).toBe('INVALID_TOKEN');
  });

  it('the same with a wrong token', async () => {
    const answer = await postPartial(`${gw.url}/trpc/add_records`, { 'content-type': 'application/json', authorization: 'Bearer sess_nope' }, 60 * 1024 * 1024, 3000);
    expect(answer).not.toBe('no answer');
    if (answer !== 'no answer') expect(answer.status).toBe(401);
  });

  it('closes the connection after refusing, instead of reading the rest of the body for nothing', async () => {
    const { port } = new URL(gw.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => undefined);
    const closed = new Promise<'closed'>((resolve) => socket.on('close', () => resolve('closed')));
    socket.write(`POST /trpc/add_records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${60 * 1024 * 1024}\r\n\r\n`);
    socket.write(Buffer.alloc(64 * 1024, 0x20));
    const outcome = await Promise.race([closed, new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 3000))]);
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(outcome).toBe('closed');
  });

  it('reads next to nothing of a refused 32 MiB body, and nothing after the answer', async () => {
    // The server side of the request, seen through Node's public diagnostics channel.
    const seen: { atAnswer: number; atClose: Promise<number> }[] = [];
    const onFinish = (message: unknown): void => {
      const { request, socket } = message as { request: http.IncomingMessage; socket: net.Socket };
      if (request.url !== '/trpc/add_records?probe=body') return;
      seen.push({ atAnswer: socket.bytesRead, atClose: new Promise((resolve) => socket.once('close', () => resolve(socket.bytesRead))) });
    };
    dc.subscribe('http.server.response.finish', onFinish);
    try {
      const { port } = new URL(gw.url);
      const body = Buffer.alloc(32 * 1024 * 1024, 0x20);
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/trpc/add_records?probe=body', method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(err)));
        req.end(body);
      });
      expect(status).toBe(401);
      expect(seen).toHaveLength(1);
      const [{ atAnswer, atClose }] = seen as [(typeof seen)[number]];
      // What arrived with the headers (one socket read), not the body: and once answered, not a byte more.
      expect(atAnswer).toBeLessThan(256 * 1024);
      expect(await atClose).toBe(atAnswer);
    } finally {
      dc.unsubscribe('http.server.response.finish', onFinish);
    }
  });

  it('a valid token still gets its body read (control)', async () => {
    const answer = await postPartial(`${gw.url}/trpc/add_records`, { 'content-type': 'application/json', authorization: `Bearer ${session}` }, 60 * 1024 * 1024, 500);
    expect(answer).toBe('no answer');
  });
});

describe('tRPC protocol errors', () => {
  const auth = () => ({ authorization: `Bearer ${session}` });

  it('caps the batch length', async () => {
    const paths = Array(101).fill('list_tables').join(',');
    const res = await fetch(`${gw.url}/trpc/${paths}?batch=1&input=${encodeURIComponent('{}')}`, { headers: auth() });
    expect(res.status).toBe(400);
    const error = trpcError(await res.json());
    expect(error.data.gatewayCode).toBe('INVALID_REQUEST');
    expect(error.message).toMatch(/Batch/i);
    const inputs = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [String(i), { json: {} }]));
    const ok = await fetch(`${gw.url}/trpc/${Array(100).fill('list_tables').join(',')}?batch=1&input=${encodeURIComponent(JSON.stringify(inputs))}`, { headers: auth() });
    expect(ok.status).toBe(200);
  });

  it('wrong verb (405) is INVALID_REQUEST, not INTERNAL_ERROR', async () => {
    const res = await fetch(`${gw.url}/trpc/add_records`, { headers: auth() });
    expect(res.status).toBe(405);
    expect(trpcError(await res.json()).data.gatewayCode).toBe('INVALID_REQUEST');
  });

  it('wrong content type (415) is INVALID_REQUEST', async () => {
    const res = await fetch(`${gw.url}/trpc/add_records`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect([400, 415]).toContain(res.status);
    expect(trpcError(await res.json()).data.gatewayCode).toBe('INVALID_REQUEST');
  });
});

describe('API answers', () => {
  it('carry Cache-Control: no-store and X-Content-Type-Options: nosniff', async () => {
    const minted = await fetch(`${gw.url}/api/v1/proxy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'request_session_token', document: 'main', permissions: ['read'] }),
    });
    expect(minted.status).toBe(200);
    expect(minted.headers.get('cache-control')).toBe('no-store');
    expect(minted.headers.get('x-content-type-options')).toBe('nosniff');
    const refused = await fetch(`${gw.url}/api/v1/proxy`, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    const trpc = await fetch(`${gw.url}/trpc/list_tables`, { headers: { authorization: `Bearer ${session}` } });
    expect(trpc.headers.get('cache-control')).toBe('no-store');
    expect(trpc.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

/** A raw request with chosen Host and Origin headers (fetch does not let a caller set Host). */
function rawRequest(pathname: string, headers: Record<string, string>, method = 'POST'): Promise<{ status: number; body: string }> {
  const { port } = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('MCP endpoints: Origin and Host (DNS rebinding)', () => {
  const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  const mcpHeaders = { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

  it('refuses a foreign Origin on /mcp, /sse and /messages', async () => {
    for (const [path, method] of [['/mcp', 'POST'], ['/sse', 'GET'], ['/messages?sessionId=x', 'POST']] as const) {
      const res = await rawRequest(path, { ...mcpHeaders, origin: 'https://evil.example' }, method);
      expect(res.status, path).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'UNAUTHORIZED' });
      expect(JSON.parse(res.body).error).toMatch(/allowed_origins/);
    }
  });

  it('accepts no Origin and loopback origins', async () => {
    for (const origin of [undefined, 'http://localhost:5173', 'http://127.0.0.1:6274']) {
      const res = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: { ...mcpHeaders, ...(origin ? { origin } : {}) }, body: initialize });
      expect(res.status, String(origin)).toBe(200);
    }
  });

  it('refuses a rebound Host name on a loopback listener', async () => {
    const { port } = new URL(gw.url);
    const res = await rawRequest('/mcp', { ...mcpHeaders, host: `attacker.example:${port}` });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error).toMatch(/Host "attacker.example" is not allowed/);
    const ok = await rawRequest('/mcp', { ...mcpHeaders, host: `localhost:${port}` });
    expect(ok.status).not.toBe(403);
  });
});

describe('allowed_origins from the config', () => {
  it('admits a listed origin and refuses the loopback default once a list is given', async () => {
    const { createApp } = await import('../../src/http/app.js');
    const app = createApp(gw.gateway.services, { allowedOrigins: ['https://app.example.com'], mount: (hono) => hono.post('/mcp', (c) => c.json({ ok: true })) });
    const listed = await app.request('/mcp', { method: 'POST', headers: { origin: 'https://app.example.com' } });
    expect(listed.status).toBe(200);
    const other = await app.request('/mcp', { method: 'POST', headers: { origin: 'http://localhost:3000' } });
    expect(other.status).toBe(403);
  });
});
