import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGristApiApp } from './app.js';
import { parseStrictJson } from './body.js';
import { dispositionFileName } from './download.js';
import { EmbeddedDocRegistry } from './registry.js';
import { startGristApiServer } from './serve.js';

const KEY = 'test-key-0123456789abcdef';
let dir: string;
let registry: EmbeddedDocRegistry;
let app: ReturnType<typeof createGristApiApp>;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-grist-api-'));
  registry = new EmbeddedDocRegistry({ dataDir: path.join(dir, 'docs'), documents: { main: path.join(dir, 'main.grist') } });
  app = createGristApiApp({ apiKey: KEY, docs: registry });
});

afterEach(async () => {
  await registry.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, url: string, init: { auth?: string | null; body?: string; type?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.auth !== null) headers['authorization'] = init.auth ?? `Bearer ${KEY}`;
  if (init.type !== undefined) headers['content-type'] = init.type;
  else if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await app.request(url, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body };
}

describe('auth (grist-api.md 1.2)', () => {
  it('answers Grist texts and statuses, checking the key before the document', async () => {
    expect(await call('GET', '/api/docs/main/tables', { auth: null })).toMatchObject({ status: 403, body: { error: 'No view access' } });
    expect(await call('GET', '/api/docs/nope/tables', { auth: null })).toMatchObject({ status: 404, body: { error: 'document not found' } });
    expect(await call('GET', '/api/docs/nope/tables', { auth: 'Bearer wrong' })).toMatchObject({ status: 401, body: { error: 'Bad request: invalid API key' } });
    expect(await call('GET', '/api/docs/main/tables', { auth: 'Bearer' })).toMatchObject({ status: 401 });
    const scheme = "Bad request: unsupported Authorization scheme, expected 'Bearer'";
    expect(await call('GET', '/api/docs/main/tables', { auth: `bearer ${KEY}` })).toMatchObject({ status: 401, body: { error: scheme } });
    expect(await call('GET', '/api/docs/main/tables', { auth: 'Basic abc' })).toMatchObject({ status: 401, body: { error: scheme } });
    const ok = await call('GET', '/api/docs/main/tables');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(ok.body).toMatchObject({ tables: [{ id: 'Table1' }] });
  });

  it('never lets an empty configured key in', async () => {
    const open = createGristApiApp({ apiKey: '', docs: registry });
    const res = await open.request('/api/docs/main/tables', { headers: { authorization: 'Bearer ' } });
    expect(res.status).toBe(401);
  });
});

describe('body rules (grist-api.md 1.4)', () => {
  const url = '/api/docs/main/tables/Table1/records';

  it('treats non-JSON content types as an empty body', async () => {
    const res = await call('POST', url, { body: '{"records": [{}]}', type: 'text/plain' });
    expect(res).toMatchObject({ status: 400, body: { error: 'Invalid payload', details: { userError: 'Error: body.records is missing' } } });
  });

  it('refuses scalar and malformed JSON with 400 and the parser message', async () => {
    const scalar = await call('POST', url, { body: 'null' });
    expect(scalar).toMatchObject({ status: 400, body: { error: `Unexpected token 'n', "null" is not valid JSON` } });
    const bad = await call('POST', url, { body: '{"records": [}' });
    expect(bad.status).toBe(400);
    expect(typeof (bad.body as { error: unknown }).error).toBe('string');
    expect(() => parseStrictJson('  5')).toThrow(/is not valid JSON/);
  });

  it('refuses more than 1 MB with 413 and writes nothing', async () => {
    const big = JSON.stringify({ records: [{ fields: { A: 'x'.repeat(1024 * 1024) } }] });
    expect(await call('POST', url, { body: big })).toMatchObject({ status: 413, body: { error: 'request entity too large' } });
    expect(await call('GET', url)).toMatchObject({ status: 200, body: { records: [] } });
  });

  it('names the bad field path in payload errors', async () => {
    const res = await call('POST', url, { body: JSON.stringify({ records: [{ fields: { A: ['x'] } }] }) });
    expect(res.status).toBe(400);
    expect((res.body as { details: { userError: string } }).details.userError).toContain('body.records[0].fields.A[0] is not a GristObjCode');
  });

  it('parses query errors with Grist texts', async () => {
    expect(await call('GET', `${url}?sort=A&sort=B`)).toMatchObject({ status: 400, body: { error: 'sort parameter should be a string: A,B' } });
    expect(await call('GET', `${url}?limit=x`)).toMatchObject({ status: 500, body: { error: 'limit is not a number' } });
    expect(await call('GET', `${url}?filter=${encodeURIComponent('{"A":"x"}')}`)).toMatchObject({ status: 400 });
    expect(await call('GET', `${url}?cellFormat=fancy`)).toMatchObject({ status: 400 });
  });
});

describe('routes', () => {
  it('answers unknown routes with the real path', async () => {
    expect(await call('GET', '/api/nothing')).toMatchObject({ status: 404, body: { error: 'not found: /api/nothing' } });
    expect(await call('DELETE', '/api/docs/main/tables/Table1/records')).toMatchObject({
      status: 404,
      body: { error: 'not found: /api/docs/main/tables/Table1/records' },
    });
  });

  it('serves the same API under /o/{org}', async () => {
    expect(await call('GET', '/o/docs/api/docs/main/tables')).toMatchObject({ status: 200 });
  });
});

describe('documents and registry', () => {
  it('creates, uses and deletes documents', async () => {
    const created = await call('POST', '/api/workspaces/1/docs', { body: '{"name": "Scratch"}' });
    expect(created.status).toBe(200);
    const docId = created.body as string;
    expect(docId).toMatch(/^[A-Za-z0-9]{22}$/);
    expect(fs.existsSync(path.join(dir, 'docs', `${docId}.grist`))).toBe(true);
    expect(await call('GET', `/api/docs/${docId}/tables`)).toMatchObject({ status: 200 });
    expect(await call('DELETE', `/api/docs/${docId}`)).toMatchObject({ status: 200, body: null });
    expect(fs.existsSync(path.join(dir, 'docs', `${docId}.grist`))).toBe(false);
    expect(await call('GET', `/api/docs/${docId}/tables`)).toMatchObject({ status: 404, body: { error: 'document not found' } });
  });

  it('refuses ids that could escape the data dir, and deleting configured documents', async () => {
    expect(registry.has('../main')).toBe(false);
    expect(() => registry.get('..%2Fmain')).toThrow('document not found');
    await expect(registry.delete('main')).rejects.toMatchObject({ status: 403 });
    expect(registry.get('main')).toBe(registry.get('main'));
  });
});

describe('attachments over real HTTP', () => {
  it('uploads and downloads with Grist headers', async () => {
    const server = await startGristApiServer({ port: 0, apiKey: KEY, docs: registry });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const form = new FormData();
      form.append('upload', new Blob(['hello world\n'], { type: 'text/plain' }), 'hello.txt');
      const auth = { authorization: `Bearer ${KEY}` };
      const up = await fetch(`${server.url}/api/docs/main/attachments`, { method: 'POST', body: form, headers: auth });
      expect(await up.json()).toEqual([1]);
      const wrong = new FormData();
      wrong.append('file', new Blob(['x']), 'x.txt');
      const missing = await fetch(`${server.url}/api/docs/main/attachments`, { method: 'POST', body: wrong, headers: auth });
      expect(missing.status).toBe(400);
      const down = await fetch(`${server.url}/api/docs/main/attachments/1/download?inline=1`, { headers: auth });
      expect(down.status).toBe(200);
      expect(down.headers.get('content-disposition')).toBe('inline; filename="hello.txt"');
      expect(down.headers.get('cache-control')).toBe('private, max-age=3600');
      expect(down.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
      expect(down.headers.get('content-length')).toBe('12');
      expect(await down.text()).toBe('hello world\n');
      const bad = await fetch(`${server.url}/api/docs/main/attachments/abc`, { headers: auth });
      expect(await bad.json()).toEqual({ error: 'attId parameter cannot be understood as an integer: abc' });
    } finally {
      await server.close();
    }
  });

  it('mangles download names like Grist', () => {
    expect(dispositionFileName('ünï notes')).toBe('\u00fdn\u00fd notes.bin');
    expect(dispositionFileName('a"b.txt')).toBe('a_b.txt');
  });
});
