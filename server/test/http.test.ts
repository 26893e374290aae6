/**
 * The rest of the HTTP surface: health, OpenAPI, attachments (upload/download byte-exact, size limit),
 * agent methods through the proxy, /trpc refusing plain JSON gracefully, and the request logs (one line
 * per call, never a token).
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from './helpers/gateway.js';

const logLines: Record<string, unknown>[] = [];
const rawLog: string[] = [];
let gw: TestGateway;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString('utf8');
      rawLog.push(text);
      for (const line of text.split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  gw = await startTestGateway({ logger: pino({ level: 'info' }, sink), app: { maxUploadBytes: 64 * 1024 } });
});
afterAll(async () => {
  await gw?.close();
});

describe('health and OpenAPI', () => {
  it('GET /health', async () => {
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/), documents: { total: 2, unavailable: [] } });
    expect(body.sessions).toEqual({ store: 'sqlite', ok: true });
  });

  it('GET /api/v1/openapi.json is an OpenAPI 3.1 document of the proxy', async () => {
    const res = await fetch(`${gw.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/proxy', '/api/v1/attachments', '/health']));
    expect(JSON.stringify(doc)).toContain('add_or_update_records');
  });

  it('unknown routes are a JSON 404', async () => {
    const res = await fetch(`${gw.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });
});

describe('agent methods through the proxy', () => {
  it('list_documents and get_proxy_documentation', async () => {
    const docs = await gw.proxy(tokens.admin, { method: 'list_documents' });
    expect(docs.body.data.documents).toEqual([
      { name: 'main', permissions: ['read', 'write', 'schema'] },
      { name: 'other', permissions: ['read'] },
    ]);
    const reader = await gw.proxy(tokens.reader, { method: 'list_documents' });
    expect(reader.body.data.documents).toEqual([{ name: 'main', permissions: ['read'] }]);
    const documentation = await gw.proxy(tokens.admin, { method: 'get_proxy_documentation' });
    expect(documentation.status).toBe(200);
    const text = JSON.stringify(documentation.body.data);
    expect(text).toContain(`${gw.url}/api/v1/proxy`);
    for (const method of ['list_tables', 'get_records', 'add_records', 'delete_column', 'add_or_update_records']) expect(text).toContain(method);
  });
});

describe('attachments', () => {
  it('uploads and downloads byte-exact, with permissions checked', async () => {
    const writer = await gw.session(tokens.admin, ['write']);
    const reader = await gw.session(tokens.admin, ['read']);
    const bytes = new Uint8Array(5000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) % 256;
    const form = new FormData();
    form.append('file', new Blob([bytes]), 'data é.bin');
    const up = await fetch(`${gw.url}/api/v1/attachments`, { method: 'POST', headers: { authorization: `Bearer ${writer}` }, body: form });
    expect(up.status).toBe(200);
    const body = (await up.json()) as { data: { attachment_id: number; filename: string; size_bytes: number } };
    expect(body.data).toMatchObject({ filename: 'data é.bin', size_bytes: 5000 });

    const down = await fetch(`${gw.url}/api/v1/attachments/${body.data.attachment_id}`, { headers: { authorization: `Bearer ${reader}` } });
    expect(down.status).toBe(200);
    expect(new Uint8Array(await down.arrayBuffer())).toEqual(bytes);
    expect(down.headers.get('content-disposition')).toContain("filename*=UTF-8''data%20%C3%A9.bin");

    const denied = await fetch(`${gw.url}/api/v1/attachments`, { method: 'POST', headers: { authorization: `Bearer ${reader}` }, body: form });
    expect(denied.status).toBe(403);
    const missing = await fetch(`${gw.url}/api/v1/attachments/9999`, { headers: { authorization: `Bearer ${reader}` } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
    const badId = await fetch(`${gw.url}/api/v1/attachments/abc`, { headers: { authorization: `Bearer ${reader}` } });
    expect(badId.status).toBe(400);
  });

  it('refuses an upload over the size limit', async () => {
    const writer = await gw.session(tokens.admin, ['write']);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(100 * 1024)]), 'big.bin');
    const res = await fetch(`${gw.url}/api/v1/attachments`, { method: 'POST', headers: { authorization: `Bearer ${writer}` }, body: form });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('/trpc', () => {
  it('answers a plain JSON caller with an error, not a crash', async () => {
    const session = await gw.session(tokens.admin, ['read']);
    const auth = { authorization: `Bearer ${session}` };
    // No input at all: a clear 400 naming the problem, with the gateway's code.
    const bare = await fetch(`${gw.url}/trpc/list_tables`, { headers: auth });
    expect(bare.status).toBe(400);
    expect(JSON.stringify(await bare.json())).toContain('INVALID_REQUEST');
    // The superjson envelope the typed client sends.
    const input = encodeURIComponent(JSON.stringify({ json: {} }));
    const ok = await fetch(`${gw.url}/trpc/list_tables?input=${input}`, { headers: auth });
    expect(ok.status).toBe(200);
    const unknown = await fetch(`${gw.url}/trpc/nope`, { headers: auth });
    expect(unknown.status).toBe(404);
  });
});

describe('request logs', () => {
  it('one line per call with agent, document, method, rows, status and duration; never a token', async () => {
    const session = await gw.session(tokens.admin, ['read', 'write', 'schema']);
    await gw.proxy(session, { method: 'create_table', table_id: 'Logged', columns: [{ id: 'A', type: 'Text' }] });
    await gw.proxy(session, { method: 'add_records', table: 'Logged', records: [{ A: 'x' }, { A: 'y' }] });
    await gw.proxy(session, { method: 'get_records', table: 'Nope' });
    await new Promise((r) => setTimeout(r, 50));
    const adds = logLines.filter((l) => l.method === 'add_records');
    expect(adds.at(-1)).toMatchObject({ agent: 'admin-agent', document: 'main', status: 'ok', rows: 2, entry: 'proxy' });
    expect(adds.at(-1)?.durationMs).toEqual(expect.any(Number));
    const failed = logLines.filter((l) => l.method === 'get_records' && l.status === 'error');
    expect(failed.at(-1)).toMatchObject({ code: 'NOT_FOUND' });
    // With an agent token the document comes from the `document` argument.
    await gw.proxy(tokens.admin, { method: 'list_tables', document: 'other' });
    await new Promise((r) => setTimeout(r, 50));
    expect(logLines.filter((l) => l.method === 'list_tables').at(-1)).toMatchObject({ agent: 'admin-agent', document: 'other', status: 'ok', rows: expect.any(Number) });
    const all = rawLog.join('');
    for (const secret of [tokens.admin, tokens.reader, session]) expect(all).not.toContain(secret);
    expect(all).not.toContain(session.slice(5, 20));
  });
});
