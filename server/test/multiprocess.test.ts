/**
 * One config file, several processes, as a user runs them: two `grist-gateway serve` instances and one
 * `grist-gateway mcp` (stdio, driven by the MCP SDK client as Claude Desktop would). No `sessions:` block:
 * the default SQLite store next to the config shares the tokens. A token minted over stdio works on both
 * instances' proxy, revoked on one it is refused on the other, expired it answers TOKEN_EXPIRED; a schema
 * change made through any process is seen by the others with no 500 and no 502.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '../bin/grist-gateway.js');
const AGENT = 'gga_multiprocess_agent_token_0123456789';

/** The children's environment: no public URL inherited from whoever runs the tests. */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== 'GRIST_GATEWAY_PUBLIC_URL' && k !== 'GRIST_MCP_URL' && k !== 'GRIST_GATEWAY_TOKEN') env[k] = v;
  }
  return { ...env, AGENT_TOKEN: AGENT, ...extra };
}

/** Starts `serve` on a free port; resolves to its base URL once it listens. */
async function startServe(config: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'], env: childEnv() });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { url, child };
}

type ProxyAnswer = { status: number; body: any };
async function proxy(url: string, token: string, body: unknown): Promise<ProxyAnswer> {
  const res = await fetch(`${url}/api/v1/proxy`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

type ToolResult = { isError?: boolean; structuredContent?: any; content: { type: string; text?: string }[] };

let dir: string;
let config: string;
let a: { url: string; child: ChildProcess };
let b: { url: string; child: ChildProcess };
let mcp: Client;
const call = async (name: string, args: Record<string, unknown>): Promise<ToolResult> => (await mcp.callTool({ name, arguments: args })) as ToolResult;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-multi-'));
  config = path.join(dir, 'grist-gateway.yaml');
  fs.writeFileSync(
    config,
    'documents:\n  shop:\n    engine: embedded\n    path: ./data/shop.grist\ntokens:\n  - token: ${AGENT_TOKEN}\n    name: agent\n    scope:\n      - document: shop\n        permissions: [read, write, schema]\n',
  );
  [a, b] = await Promise.all([startServe(config), startServe(config)]);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', '--config', config],
    env: childEnv({ GRIST_GATEWAY_TOKEN: AGENT }),
    stderr: 'pipe',
  });
  mcp = new Client({ name: 'multiprocess-test', version: '1.0.0' });
  await mcp.connect(transport);
}, 120_000);

afterAll(async () => {
  await mcp?.close();
  for (const p of [a, b]) {
    if (!p || p.child.exitCode !== null) continue;
    const exited = new Promise((resolve) => p.child.once('exit', resolve));
    p.child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('one config, two serve processes and one stdio mcp process', () => {
  it('shares session tokens through the default SQLite store next to the config', async () => {
    const minted = await call('request_session_token', { document: 'shop', permissions: ['read', 'write', 'schema'] });
    expect(minted.isError).toBeFalsy();
    const token = minted.structuredContent.token as string;
    // A stdio process does not know where `serve` listens, and says so instead of a bare relative path.
    expect(minted.structuredContent.proxy_url).toMatch(/^unknown: .*\/api\/v1\/proxy.*public_url/);
    expect(fs.existsSync(path.join(dir, 'grist-gateway.sessions.sqlite'))).toBe(true);

    for (const instance of [a, b]) {
      const answer = await proxy(instance.url, token, { method: 'list_tables' });
      expect(answer).toEqual({ status: 200, body: { success: true, data: { tables: ['Table1'] } } });
    }

    // Revoked through instance A (with the agent token), refused by instance B and by A.
    expect((await proxy(a.url, AGENT, { method: 'revoke_session_token', token })).body).toEqual({ success: true, data: { revoked: true } });
    for (const instance of [b, a]) {
      const refused = await proxy(instance.url, token, { method: 'list_tables' });
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ success: false, code: 'INVALID_TOKEN' });
    }
  }, 60_000);

  it('answers TOKEN_EXPIRED on every instance, every time, once a token has expired', async () => {
    const minted = await call('request_session_token', { document: 'shop', permissions: ['read'], ttl_seconds: 1 });
    const token = minted.structuredContent.token as string;
    const expiresAt = Date.parse(minted.structuredContent.expires_at as string);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 50));
    for (const instance of [a, b, a, b]) {
      const answer = await proxy(instance.url, token, { method: 'list_tables' });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ success: false, code: 'TOKEN_EXPIRED' });
    }
  }, 30_000);

  it('sees a schema change made through any process, with no 500 and no 502', async () => {
    const token = (await proxy(a.url, AGENT, { method: 'request_session_token', document: 'shop', permissions: ['read', 'write', 'schema'] })).body.data.token as string;
    // Every process reads the structure first, so each has it cached.
    expect((await proxy(b.url, token, { method: 'list_tables' })).status).toBe(200);
    expect((await call('list_tables', { document: 'shop' })).isError).toBeFalsy();

    // Change through A; write and read through B and the stdio process.
    expect((await proxy(a.url, token, { method: 'create_table', table_id: 'Orders', columns: [{ id: 'Item', type: 'Text' }] })).status).toBe(200);
    expect((await proxy(b.url, token, { method: 'add_records', table: 'Orders', records: [{ Item: 'pen' }] })).body).toEqual({ success: true, data: { record_ids: [1] } });

    // Change through the stdio process; use it through A and B.
    const added = await call('add_column', { document: 'shop', table: 'Orders', column_id: 'Qty', column_type: 'Int' });
    expect(added.isError).toBeFalsy();
    const write = await proxy(a.url, token, { method: 'add_records', table: 'Orders', records: [{ Item: 'ink', Qty: 3 }] });
    expect(write).toEqual({ status: 200, body: { success: true, data: { record_ids: [2] } } });
    const read = await proxy(b.url, token, { method: 'get_records', table: 'Orders' });
    expect(read.status).toBe(200);
    expect(read.body.data.records).toEqual([
      { id: 1, Item: 'pen', Qty: 0 },
      { id: 2, Item: 'ink', Qty: 3 },
    ]);

    // Change through B (a column removed); the stdio process and A see it gone.
    expect((await proxy(b.url, token, { method: 'delete_column', table: 'Orders', column_id: 'Qty' })).status).toBe(200);
    const viaMcp = await call('get_records', { document: 'shop', table: 'Orders' });
    expect(viaMcp.isError).toBeFalsy();
    expect(viaMcp.structuredContent.records).toEqual([
      { id: 1, Item: 'pen' },
      { id: 2, Item: 'ink' },
    ]);
    const stale = await proxy(a.url, token, { method: 'update_records', table: 'Orders', records: [{ id: 1, fields: { Qty: 5 } }] });
    expect([400, 404]).toContain(stale.status);
    expect(stale.body.error).toContain('Qty');
    const described = await proxy(a.url, token, { method: 'describe_table', table: 'Orders' });
    expect(described.body.data.columns.map((c: { id: string }) => c.id)).toEqual(['Item']);
  }, 60_000);
});
