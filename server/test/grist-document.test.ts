/**
 * A gateway configured exactly like grist-mcp (a document with url, doc_id, api_key) driving a Grist server
 * over HTTP end to end. The "Grist server" is the embedded engine's Grist-compatible REST API on loopback.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { startTestRestApi, TEST_API_KEY, type TestRestApi } from './conformance/rest-api.js';
import { refusedUrl, startFaultProxy, type FaultProxy } from './faults/fault-proxy.js';

const AGENT = 'gga_remote_agent_token_0123456789abcdef';
let rest: TestRestApi;
let gateway: Gateway;
let server: ReturnType<typeof serve>;
let url: string;
let faults: FaultProxy;

async function proxy(token: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/v1/proxy`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  rest = await startTestRestApi();
  const configPath = path.join(rest.dir, 'config.yaml');
  fs.writeFileSync(
    configPath,
    `documents:
  remote:
    url: \${GRIST_URL}
    doc_id: ${rest.docId}
    api_key: \${GRIST_API_KEY}
  flaky:
    url: \${FLAKY_URL}
    doc_id: ${rest.docId}
    api_key: \${GRIST_API_KEY}
  down:
    url: \${DOWN_URL}
    doc_id: ${rest.docId}
    api_key: \${GRIST_API_KEY}
tokens:
  - token: ${AGENT}
    name: remote-agent
    scope:
      - document: remote
        permissions: [read, write, schema]
      - document: flaky
        permissions: [read, write]
      - document: down
        permissions: [read]
`,
  );
  faults = await startFaultProxy(rest.url);
  gateway = createGateway(
    loadConfig(configPath, { GRIST_URL: rest.url, GRIST_API_KEY: TEST_API_KEY, FLAKY_URL: faults.url, DOWN_URL: await refusedUrl() }),
  );
  server = await new Promise((resolve) => {
    const s = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await gateway?.close();
  await faults?.close();
  await rest?.close();
});

describe('a Grist document over HTTP through the gateway', () => {
  it('creates a table, writes, reads, pages and reports errors without leaking the API key', async () => {
    const minted = await proxy(AGENT, { method: 'request_session_token', document: 'remote', permissions: ['read', 'write', 'schema'] });
    const token = minted.body.data.token as string;
    expect((await proxy(token, { method: 'create_table', table_id: 'Orders', columns: [{ id: 'Item', type: 'Text' }, { id: 'Qty', type: 'Int' }] })).body).toEqual({
      success: true,
      data: { table_id: 'Orders' },
    });
    const records = Array.from({ length: 1200 }, (_, i) => ({ Item: `item ${i}`, Qty: i }));
    const added = await proxy(token, { method: 'add_records', table: 'Orders', records });
    expect(added.body.data.record_ids).toHaveLength(1200);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: any } = await proxy(token, { method: 'get_records', table: 'Orders', limit: 500, ...(cursor ? { cursor } : {}) });
      seen.push(...page.body.data.records.map((r: { Qty: number }) => r.Qty));
      cursor = page.body.data.next_cursor;
    } while (cursor);
    expect(seen).toEqual(records.map((r) => r.Qty));
    const sql = await proxy(token, { method: 'sql_query', query: 'SELECT COUNT(*) AS n FROM Orders' });
    expect(sql.body.data.records).toEqual([{ n: 1200 }]);
    const missing = await proxy(token, { method: 'get_records', table: 'Nope' });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NOT_FOUND');
    const badColumn = await proxy(token, { method: 'add_records', table: 'Orders', records: [{ Nope: 1 }] });
    expect(badColumn.body.code).toBe('NOT_FOUND');
    expect(JSON.stringify([missing.body, badColumn.body])).not.toContain(TEST_API_KEY);
  });
});

describe('Grist failures reach the caller with stable codes', () => {
  it('RATE_LIMITED when Grist keeps answering 429, after retrying the read', async () => {
    const token = (await proxy(AGENT, { method: 'request_session_token', document: 'flaky', permissions: ['read', 'write'] })).body.data.token as string;
    faults.setRule((req) => (req.path.endsWith('/tables') ? { kind: 'answer', status: 429, body: { error: 'Too many requests' } } : { kind: 'pass' }));
    const before = faults.requests.length;
    const res = await proxy(token, { method: 'list_tables' });
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ success: false, code: 'RATE_LIMITED' });
    expect(faults.requests.length - before).toBeGreaterThan(1);
    faults.setRule(undefined);
  }, 30_000);

  it('UNAVAILABLE when Grist answers 503, and a failed add is not retried blindly', async () => {
    const token = (await proxy(AGENT, { method: 'request_session_token', document: 'flaky', permissions: ['read', 'write'] })).body.data.token as string;
    faults.setRule((req) => (req.method === 'POST' && req.path.endsWith('/records') ? { kind: 'answer', status: 503, body: { error: 'Document in flux' } } : { kind: 'pass' }));
    const before = faults.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/records')).length;
    const res = await proxy(token, { method: 'add_records', table: 'Orders', records: [{ Item: 'x', Qty: 1 }] });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ success: false, code: 'UNAVAILABLE' });
    expect(faults.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/records')).length - before).toBe(1);
    faults.setRule(undefined);
  }, 30_000);

  it('UNAVAILABLE when Grist is down, naming the server but never the key', async () => {
    const token = (await proxy(AGENT, { method: 'request_session_token', document: 'down', permissions: ['read'] })).body.data.token as string;
    const res = await proxy(token, { method: 'list_tables' });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('UNAVAILABLE');
    expect(JSON.stringify(res.body)).not.toContain(TEST_API_KEY);
  }, 30_000);
});
