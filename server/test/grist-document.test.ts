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

const AGENT = 'gga_remote_agent_token_0123456789abcdef';
let rest: TestRestApi;
let gateway: Gateway;
let server: ReturnType<typeof serve>;
let url: string;

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
    `documents:\n  remote:\n    url: \${GRIST_URL}\n    doc_id: ${rest.docId}\n    api_key: \${GRIST_API_KEY}\ntokens:\n  - token: ${AGENT}\n    name: remote-agent\n    scope:\n      - document: remote\n        permissions: [read, write, schema]\n`,
  );
  gateway = createGateway(loadConfig(configPath, { GRIST_URL: rest.url, GRIST_API_KEY: TEST_API_KEY }));
  server = await new Promise((resolve) => {
    const s = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await gateway?.close();
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
