/**
 * The session store seen from outside, over real HTTP: two gateway instances with separate config files
 * sharing tokens through one real Redis; Redis killed mid-way answers 503 UNAVAILABLE on the proxy, /trpc,
 * the attachment endpoints and MCP (never INVALID_TOKEN), /health says so, and service resumes by itself
 * when Redis is back. The SQLite store: a clear start-up error naming an unusable file, 503 while the file
 * stays locked by another process. And two document names for one file stay consistent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteSessionStore } from '../src/auth/index.js';
import { loadConfig } from '../src/config/index.js';
import { createGateway, type Gateway, type GatewayOptions } from '../src/gateway.js';
import { REDIS_SKIP_MESSAGE, redisServerPath, startRedis } from './helpers/redis.js';

const AGENT = 'gga_session_store_agent_0123456789abcdef';
const dirs: string[] = [];
const running: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const r of running.splice(0).reverse()) await r.close().catch(() => {});
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes a config (documents + one agent with every right on them + `extra`) in a new folder. */
function writeConfig(extra: string, documents = 'documents:\n  shop:\n    engine: embedded\n    path: ./shop.grist\n'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-store-'));
  dirs.push(dir);
  const names = [...documents.matchAll(/^ {2}(\w+):$/gm)].map((m) => m[1]);
  const scope = names.map((n) => `      - document: ${n}\n        permissions: [read, write, schema]\n`).join('');
  const file = path.join(dir, 'gw.yaml');
  fs.writeFileSync(file, `${documents}tokens:\n  - token: ${AGENT}\n    name: agent\n    scope:\n${scope}${extra}`);
  return file;
}

interface Instance {
  url: string;
  gateway: Gateway;
  proxy(token: string, body: unknown): Promise<{ status: number; body: any }>;
  mint(permissions?: string[], document?: string): Promise<string>;
}

/** Serves a config on a free loopback port. */
async function start(configFile: string, env: NodeJS.ProcessEnv = {}, options: GatewayOptions = {}): Promise<Instance> {
  const gateway = createGateway(loadConfig(configFile, env), options);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  running.push({
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
    },
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const proxy = async (token: string, body: unknown) => {
    const res = await fetch(`${url}/api/v1/proxy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const mint = async (permissions = ['read', 'write'], document = 'shop') => {
    const res = await proxy(AGENT, { method: 'request_session_token', document, permissions });
    if (res.status !== 200) throw new Error(`mint failed: ${JSON.stringify(res.body)}`);
    return res.body.data.token as string;
  };
  return { url, gateway, proxy, mint };
}

/** Polls `/health` until it answers `status` (bounded). */
async function healthBecomes(url: string, status: number, timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/health`);
    const body = await res.json();
    if (res.status === status) return body;
    if (Date.now() > deadline) throw new Error(`/health stayed ${res.status}: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(!redisServerPath)('two instances sharing one Redis', () => {
  it('share tokens; with Redis down every entry point answers 503 UNAVAILABLE; service resumes when it is back', async () => {
    const redis = await startRedis();
    running.push(redis);
    const sessions = 'sessions:\n  store: redis\n  url: ${REDIS_URL}\n  prefix: "gw-test:"\n  max_per_agent: 50\n';
    const env = { REDIS_URL: redis.url };
    const a = await start(writeConfig(sessions), env);
    const b = await start(writeConfig(sessions), env);

    const token = await a.mint();
    expect((await b.proxy(token, { method: 'list_tables' })).body).toEqual({ success: true, data: { tables: ['Table1'] } });
    expect((await b.proxy(AGENT, { method: 'revoke_session_token', token })).body.data).toEqual({ revoked: true });
    expect((await a.proxy(token, { method: 'list_tables' })).body.code).toBe('INVALID_TOKEN');
    const live = await b.mint(['read']);
    expect((await healthBecomes(a.url, 200)).sessions).toEqual({ store: 'redis', ok: true });

    await redis.kill();
    const unavailable = /^session store unavailable: Redis at redis:\/\/127\.0\.0\.1:\d+\/0: /;
    // The JSON proxy: data calls and minting.
    const refused = await a.proxy(live, { method: 'list_tables' });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ success: false, code: 'UNAVAILABLE' });
    expect(refused.body.error).toMatch(unavailable);
    const mint = await b.proxy(AGENT, { method: 'request_session_token', document: 'shop', permissions: ['read'] });
    expect(mint.status).toBe(503);
    expect(mint.body.error).toMatch(unavailable);
    // /trpc (the typed client).
    const input = encodeURIComponent(JSON.stringify({ json: {} }));
    const trpc = await fetch(`${a.url}/trpc/list_tables?input=${input}`, { headers: { authorization: `Bearer ${live}` } });
    expect(trpc.status).toBe(503);
    expect(JSON.stringify(await trpc.json())).toContain('"gatewayCode":"UNAVAILABLE"');
    // Attachments.
    const download = await fetch(`${b.url}/api/v1/attachments/1`, { headers: { authorization: `Bearer ${live}` } });
    expect(download.status).toBe(503);
    expect((await download.json()).code).toBe('UNAVAILABLE');
    // MCP over HTTP: the agent token needs no store, minting does.
    const mcp = new Client({ name: 'store-test', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${a.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${AGENT}` } } }));
    const tool = (await mcp.callTool({ name: 'request_session_token', arguments: { document: 'shop', permissions: ['read'] } })) as {
      isError?: boolean;
      content: { text: string }[];
    };
    expect(tool.isError).toBe(true);
    expect(tool.content[0]!.text).toMatch(/^UNAVAILABLE: session store unavailable: Redis/);
    // /health tells the load balancer.
    const health = await healthBecomes(b.url, 503);
    expect(health).toMatchObject({ status: 'degraded', sessions: { store: 'redis', ok: false } });
    expect(health.sessions.error).toMatch(unavailable);

    await redis.restart();
    await healthBecomes(a.url, 200);
    await healthBecomes(b.url, 200);
    // A new Redis without persistence has forgotten the old token: unknown, not an error.
    expect((await a.proxy(live, { method: 'list_tables' })).body.code).toBe('INVALID_TOKEN');
    const again = await b.mint(['read']);
    expect((await a.proxy(again, { method: 'list_tables' })).status).toBe(200);
    const viaMcp = (await mcp.callTool({ name: 'request_session_token', arguments: { document: 'shop', permissions: ['read'] } })) as {
      isError?: boolean;
      structuredContent?: { token: string };
    };
    expect(viaMcp.isError).toBeFalsy();
    expect((await b.proxy(viaMcp.structuredContent!.token, { method: 'list_tables' })).status).toBe(200);
    await mcp.close();
  }, 60_000);
});
if (!redisServerPath) {
  console.warn(`[session-store] ${REDIS_SKIP_MESSAGE}`);
  describe.skip(`Redis over HTTP (${REDIS_SKIP_MESSAGE})`, () => {
    it('skipped', () => {});
  });
}

describe('the SQLite session store', () => {
  it('refuses to start with a clear error naming a file that cannot be created', () => {
    const config = writeConfig('sessions:\n  path: ./not-a-folder/sessions.sqlite\n');
    fs.writeFileSync(path.join(path.dirname(config), 'not-a-folder'), 'a file, not a folder');
    const expected = path.join(path.dirname(config), 'not-a-folder', 'sessions.sqlite');
    expect(() => createGateway(loadConfig(config, {}))).toThrow(
      `Cannot use the session store file ${expected}: EEXIST: file already exists, mkdir '${path.dirname(expected)}'. Make its folder writable, set sessions.path`,
    );
  });

  it('answers 503 while the file stays locked by another process beyond the busy timeout, then recovers', async () => {
    const config = writeConfig('');
    const file = path.join(path.dirname(config), 'gw.sessions.sqlite');
    const gw = await start(config, {}, { sessionStore: new SqliteSessionStore({ path: file, busyTimeoutMs: 100 }) });
    const token = await gw.mint(['read']);
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      const mint = await gw.proxy(AGENT, { method: 'request_session_token', document: 'shop', permissions: ['read'] });
      expect(mint.status).toBe(503);
      expect(mint.body).toMatchObject({ success: false, code: 'UNAVAILABLE' });
      expect(mint.body.error).toBe(`session store unavailable: SQLite file ${file}: database is locked`);
      // Readers are never blocked (WAL): the existing token keeps working.
      expect((await gw.proxy(token, { method: 'list_tables' })).status).toBe(200);
      expect((await healthBecomes(gw.url, 503)).sessions).toMatchObject({ store: 'sqlite', ok: false });
      other.exec('ROLLBACK');
      expect((await healthBecomes(gw.url, 200)).sessions).toEqual({ store: 'sqlite', ok: true });
      expect((await gw.proxy(await gw.mint(['read']), { method: 'list_tables' })).status).toBe(200);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('takes public_url from the config for proxy_url, and the environment over it', async () => {
    const config = writeConfig('public_url: https://gw.example.com/\n');
    const gw = await start(config, {}, { publicUrl: undefined });
    const minted = await gw.proxy(AGENT, { method: 'request_session_token', document: 'shop', permissions: ['read'] });
    // The test process may have the variables set; the config value applies only when they are not.
    const fromEnv = process.env.GRIST_GATEWAY_PUBLIC_URL ?? process.env.GRIST_MCP_URL;
    expect(minted.body.data.proxy_url).toBe(`${(fromEnv ?? 'https://gw.example.com').replace(/\/+$/, '')}/api/v1/proxy`);
    const overridden = await start(config, {}, { publicUrl: 'http://10.1.2.3:8080' });
    expect((await overridden.proxy(AGENT, { method: 'request_session_token', document: 'shop', permissions: ['read'] })).body.data.proxy_url).toBe(
      'http://10.1.2.3:8080/api/v1/proxy',
    );
  });
});

describe('two document names for one file', () => {
  it('see each other\'s schema changes like two processes do', async () => {
    const config = writeConfig('', 'documents:\n  shop:\n    engine: embedded\n    path: ./same.grist\n  alias:\n    engine: embedded\n    path: ./same.grist\n');
    const gw = await start(config);
    const viaShop = await gw.mint(['read', 'write', 'schema'], 'shop');
    const viaAlias = await gw.mint(['read', 'write', 'schema'], 'alias');
    expect((await gw.proxy(viaAlias, { method: 'list_tables' })).body.data.tables).toEqual(['Table1']);
    expect((await gw.proxy(viaShop, { method: 'create_table', table_id: 'Orders', columns: [{ id: 'Item', type: 'Text' }] })).status).toBe(200);
    expect((await gw.proxy(viaAlias, { method: 'add_records', table: 'Orders', records: [{ Item: 'pen' }] })).body).toEqual({ success: true, data: { record_ids: [1] } });
    expect((await gw.proxy(viaAlias, { method: 'add_column', table: 'Orders', column_id: 'Qty', column_type: 'Int' })).status).toBe(200);
    const read = await gw.proxy(viaShop, { method: 'get_records', table: 'Orders' });
    expect(read).toEqual({ status: 200, body: { success: true, data: { records: [{ id: 1, Item: 'pen', Qty: 0 }], next_cursor: null } } });
  });
});
