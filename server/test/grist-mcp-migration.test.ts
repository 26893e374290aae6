/**
 * The README's "Coming from grist-mcp" section stays true: what it says carries over does, and each
 * difference in its table behaves as described. Real gateway on loopback, real MCP client.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from './helpers/gateway.js';
import { connectMcpClient } from './helpers/mcp.js';

const README = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
const section = README.slice(README.indexOf('## Coming from grist-mcp'), README.indexOf('\n## ', README.indexOf('## Coming from grist-mcp') + 5));

/** grist-mcp's 14 tools. */
const GRIST_MCP_TOOLS = [
  'list_documents', 'list_tables', 'describe_table', 'get_records', 'sql_query', 'add_records', 'update_records', 'delete_records',
  'create_table', 'add_column', 'modify_column', 'delete_column', 'get_proxy_documentation', 'request_session_token',
];

let gw: TestGateway;
let client: Client;
type ToolResult = { isError?: boolean; structuredContent?: any; content: { type: string; text?: string }[] };
const call = async (name: string, args: Record<string, unknown>): Promise<ToolResult> => (await client.callTool({ name, arguments: args })) as ToolResult;

beforeAll(async () => {
  gw = await startTestGateway();
  client = await connectMcpClient(gw, tokens.admin, 'grist-mcp-user');
});
afterAll(async () => {
  await client?.close();
  await gw?.close();
});

describe('Coming from grist-mcp', () => {
  it('the README section lists what carries over and a table row for every difference', () => {
    expect(section).toContain('**What carries over unchanged**');
    for (const row of [
      'MCP `add_records` result', 'MCP `modify_column` result', 'MCP `update_records`, `delete_records` results', 'MCP `delete_column` result',
      'MCP tool failures', 'MCP `get_records` without `limit`', 'MCP `sql_query`', 'MCP tool list', '`get_proxy_documentation`',
      '`ttl_seconds` over 3600', 'proxy: unknown or revoked session token', 'proxy error codes and HTTP statuses', 'missing config file',
      '`CONFIG_PATH` default', 'listen address', 'log lines', '`/health`',
    ]) {
      expect(section, row).toMatch(new RegExp(`^\\| ${row.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\| .+ \\| .+ \\| .+ \\|$`, 'm'));
    }
  });

  it('keeps the 14 grist-mcp tools with their parameters', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of GRIST_MCP_TOOLS) expect(byName.has(name), name).toBe(true);
    const params = (name: string) => Object.keys(byName.get(name)!.inputSchema.properties ?? {});
    expect(params('get_records')).toEqual(expect.arrayContaining(['document', 'table', 'filter', 'sort', 'limit']));
    expect(params('add_column')).toEqual(expect.arrayContaining(['document', 'table', 'column_id', 'column_type', 'formula', 'label']));
    expect(params('modify_column')).toEqual(expect.arrayContaining(['document', 'table', 'column_id', 'type', 'formula', 'label']));
    // grist-mcp's parameters, plus the optional table/column scope (an addition: nothing else is required).
    expect(params('request_session_token')).toEqual(['document', 'permissions', 'ttl_seconds', 'tables']);
    expect(byName.get('request_session_token')!.inputSchema.required).toEqual(['document', 'permissions']);
  });

  it('MCP results carry grist-mcp keys beside the gateway keys, and counts where grist-mcp said true', async () => {
    const d = { document: 'main' };
    expect((await call('create_table', { ...d, table_id: 'Migr', columns: [{ id: 'item', type: 'Text' }, { id: 'qty', type: 'Int' }] })).structuredContent).toEqual({ table_id: 'Migr' });
    const added = (await call('add_records', { ...d, table: 'Migr', records: [{ item: 'Widget', qty: 100 }] })).structuredContent;
    expect(added).toEqual({ record_ids: [1], inserted_ids: [1] });
    expect((await call('update_records', { ...d, table: 'Migr', records: [{ id: 1, fields: { qty: 5 } }] })).structuredContent).toEqual({ updated: 1 });
    expect((await call('add_column', { ...d, table: 'Migr', column_id: 'total', column_type: 'Numeric', formula: '$qty * 2' })).structuredContent).toEqual({ column_id: 'total' });
    expect((await call('modify_column', { ...d, table: 'Migr', column_id: 'qty', type: 'Numeric' })).structuredContent).toEqual({ column_id: 'qty', modified: true });
    expect((await call('delete_column', { ...d, table: 'Migr', column_id: 'total' })).structuredContent).toEqual({ deleted: 'total' });
    expect((await call('delete_records', { ...d, table: 'Migr', record_ids: [1] })).structuredContent).toEqual({ deleted: 1 });
    const failed = await call('get_records', { ...d, table: 'Nope' });
    expect(failed.isError).toBe(true);
    expect(failed.content[0]!.text).toMatch(/^NOT_FOUND: /);
  });

  it('refuses ttl_seconds over 3600 instead of cutting it, and tells an unknown session token from an expired one', async () => {
    const long = await gw.proxy(tokens.admin, { method: 'request_session_token', document: 'main', permissions: ['read'], ttl_seconds: 7200 });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ success: false, code: 'INVALID_REQUEST', error: expect.stringContaining('ttl_seconds') });
    const unknown = await gw.proxy(`sess_${'x'.repeat(43)}`, { method: 'list_tables' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.code).toBe('INVALID_TOKEN');
  });

  it('keeps the proxy envelope and result keys, with finer error codes and statuses', async () => {
    const session = await gw.session(tokens.admin, ['read', 'write']);
    const added = await gw.proxy(session, { method: 'add_records', table: 'Migr', records: [{ item: 'Gadget' }] });
    expect(added).toMatchObject({ status: 200, body: { success: true, data: { record_ids: [expect.any(Number)] } } });
    const missing = await gw.proxy(session, { method: 'get_records', table: 'Nope' });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ success: false, code: 'NOT_FOUND', error: expect.any(String) });
    const denied = await gw.proxy(session, { method: 'delete_table', table: 'Migr' });
    expect(denied).toMatchObject({ status: 403, body: { code: 'UNAUTHORIZED' } });
  });

  it('answers /health with grist-mcp\'s status key and more', async () => {
    const res = await fetch(`${gw.url}/health`);
    expect(await res.json()).toMatchObject({ status: 'ok', version: expect.any(String), documents: { total: 2 } });
  });
});
