/**
 * MCP tools through a real MCP Client: in memory, over Streamable HTTP (/mcp) and legacy SSE on loopback,
 * and over stdio against the CLI as a child process.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from './helpers/gateway.js';
import { connectMcpClient } from './helpers/mcp.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
});

const inMemoryClient = (token: string): Promise<Client> => connectMcpClient(gw, token);

type ToolResult = { isError?: boolean; structuredContent?: any; content: { type: string; text?: string }[] };
const call = async (client: Client, name: string, args: Record<string, unknown>): Promise<ToolResult> =>
  (await client.callTool({ name, arguments: args })) as ToolResult;

describe('MCP tools (in-memory client)', () => {
  it('lists every tool for a full agent, with annotations and schemas', async () => {
    const client = await inMemoryClient(tokens.admin);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual(
      [
        'add_column', 'add_or_update_records', 'add_records', 'create_table', 'delete_column', 'delete_records',
        'delete_table', 'describe_table', 'get_proxy_documentation', 'get_records', 'list_documents', 'list_tables',
        'modify_column', 'rename_table', 'request_session_token', 'revoke_session_token', 'sql_query', 'update_records',
      ].sort(),
    );
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema, tool.name).toBeUndefined();
      expect(tool.description?.length, tool.name).toBeGreaterThan(20);
    }
    // Only hints that differ from the MCP defaults are sent.
    expect(byName.get_records!.annotations).toEqual({ readOnlyHint: true });
    expect(byName.add_records!.annotations).toEqual({ destructiveHint: false });
    expect(byName.delete_records!.annotations).toEqual({ idempotentHint: true });
    const getRecords = byName.get_records!;
    expect(getRecords.inputSchema.required).toEqual(['document', 'table']);
    // Exact, compact schemas: a cell value is anything but an object, a list led by its type code.
    const records = (byName.add_records!.inputSchema.properties as any).records;
    expect(records.items.additionalProperties).toEqual({ not: { type: 'object' }, prefixItems: [{ type: 'string' }], minItems: 1 });
    expect((byName.request_session_token!.inputSchema.properties as any).ttl_seconds).toMatchObject({ type: 'integer', minimum: 1, maximum: 3600 });
    await client.close();
  });

  it('a read-only agent sees no write or schema tools', async () => {
    const client = await inMemoryClient(tokens.reader);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('get_records');
    expect(names).not.toContain('add_records');
    expect(names).not.toContain('create_table');
    await client.close();
  });

  it('drives a whole session: create, add, read, sql, schema changes', async () => {
    const client = await inMemoryClient(tokens.admin);
    const docs = await call(client, 'list_documents', {});
    expect(docs.structuredContent.documents).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'main', permissions: ['read', 'write', 'schema'] }),
        expect.objectContaining({ name: 'other', permissions: ['read'] }),
      ]),
    );
    const created = await call(client, 'create_table', { document: 'main', table_id: 'Mcp', columns: [{ id: 'Name', type: 'Text' }, { id: 'N', type: 'Int' }] });
    expect(created.structuredContent).toEqual({ table_id: 'Mcp' });
    expect(JSON.parse(created.content[0]!.text!)).toEqual({ table_id: 'Mcp' });
    const added = await call(client, 'add_records', { document: 'main', table: 'Mcp', records: [{ Name: 'a', N: 1 }, { Name: 'b', N: 2 }] });
    expect(added.structuredContent.record_ids).toHaveLength(2);
    // grist-mcp's key too, so agents and prompts written for it keep working.
    expect(added.structuredContent.inserted_ids).toEqual(added.structuredContent.record_ids);
    const read = await call(client, 'get_records', { document: 'main', table: 'Mcp', sort: '-N' });
    expect(read.structuredContent.records.map((r: { Name: string }) => r.Name)).toEqual(['b', 'a']);
    const sql = await call(client, 'sql_query', { document: 'main', query: 'SELECT SUM(N) AS total FROM Mcp' });
    expect(sql.structuredContent.records).toEqual([{ total: 3 }]);
    const column = await call(client, 'add_column', { document: 'main', table: 'Mcp', column_id: 'Note', column_type: 'Text' });
    expect(column.structuredContent).toEqual({ column_id: 'Note' });
    const described = await call(client, 'describe_table', { document: 'main', table: 'Mcp' });
    expect(described.structuredContent.columns.map((c: { id: string }) => c.id)).toEqual(['Name', 'N', 'Note']);
    await client.close();
  });

  it('every tool works through the client', async () => {
    const client = await inMemoryClient(tokens.admin);
    const d = { document: 'main' };
    const expectOk = (r: ToolResult, name: string): any => {
      expect(r.isError, `${name}: ${r.content[0]?.text}`).toBeFalsy();
      return r.structuredContent;
    };
    expectOk(await call(client, 'create_table', { ...d, table_id: 'Every', columns: [{ id: 'K', type: 'Text' }, { id: 'V', type: 'Int' }] }), 'create_table');
    const ids = expectOk(await call(client, 'add_records', { ...d, table: 'Every', records: [{ K: 'a', V: 1 }, { K: 'b', V: 2 }] }), 'add_records').record_ids as number[];
    expect(expectOk(await call(client, 'update_records', { ...d, table: 'Every', records: [{ id: ids[0], fields: { V: 10 } }] }), 'update_records')).toEqual({ updated: 1 });
    const upsert = expectOk(await call(client, 'add_or_update_records', { ...d, table: 'Every', records: [{ require: { K: 'b' }, fields: { V: 20 } }, { require: { K: 'c' }, fields: { V: 30 } }] }), 'add_or_update_records');
    expect(upsert.updated).toEqual([ids[1]]);
    expect(upsert.added).toHaveLength(1);
    expect(expectOk(await call(client, 'delete_records', { ...d, table: 'Every', record_ids: [ids[0]] }), 'delete_records')).toEqual({ deleted: 1 });
    expect(expectOk(await call(client, 'get_records', { ...d, table: 'Every', sort: 'K' }), 'get_records').records.map((r: { V: number }) => r.V)).toEqual([20, 30]);
    expectOk(await call(client, 'list_tables', d), 'list_tables');
    expectOk(await call(client, 'add_column', { ...d, table: 'Every', column_id: 'Note', column_type: 'Text' }), 'add_column');
    // As in Grist, a column whose id follows its label is renamed with it; the tool reports the final id.
    expect(expectOk(await call(client, 'modify_column', { ...d, table: 'Every', column_id: 'Note', label: 'A note' }), 'modify_column')).toEqual({ column_id: 'A_note', modified: true });
    const described = expectOk(await call(client, 'describe_table', { ...d, table: 'Every' }), 'describe_table');
    expect(described.columns.find((c: { id: string }) => c.id === 'A_note').label).toBe('A note');
    expect(expectOk(await call(client, 'delete_column', { ...d, table: 'Every', column_id: 'A_note' }), 'delete_column')).toEqual({ deleted: 'A_note' });
    expect(expectOk(await call(client, 'rename_table', { ...d, table: 'Every', new_table_id: 'Every2' }), 'rename_table')).toEqual({ table_id: 'Every2' });
    expect(expectOk(await call(client, 'sql_query', { ...d, query: 'SELECT COUNT(*) AS n FROM Every2' }), 'sql_query').records).toEqual([{ n: 2 }]);
    expect(expectOk(await call(client, 'delete_table', { ...d, table: 'Every2' }), 'delete_table')).toEqual({ deleted: 'Every2' });
    const docs = await call(client, 'get_proxy_documentation', {});
    expect(docs.isError).toBeFalsy();
    expect(docs.content[0]!.text).toContain(`POST ${gw.url}/api/v1/proxy`);
    expect(docs.content[0]!.text).toContain('- add_or_update_records (read + write) table: string');
    const minted = expectOk(await call(client, 'request_session_token', { document: 'main', permissions: ['read'], ttl_seconds: 60 }), 'request_session_token');
    expect(expectOk(await call(client, 'revoke_session_token', { token: minted.token }), 'revoke_session_token')).toEqual({ revoked: true });
    expectOk(await call(client, 'list_documents', {}), 'list_documents');
    await client.close();
  });

  it('caps get_records in the model context and offers next_cursor', async () => {
    const client = await inMemoryClient(tokens.admin);
    await call(client, 'create_table', { document: 'main', table_id: 'Many', columns: [{ id: 'N', type: 'Int' }] });
    await call(client, 'add_records', { document: 'main', table: 'Many', records: Array.from({ length: 150 }, (_, i) => ({ N: i })) });
    const first = await call(client, 'get_records', { document: 'main', table: 'Many' });
    expect(first.structuredContent.records).toHaveLength(100);
    expect(first.structuredContent.next_cursor).toEqual(expect.any(String));
    const second = await call(client, 'get_records', { document: 'main', table: 'Many', cursor: first.structuredContent.next_cursor });
    expect(second.structuredContent.records).toHaveLength(50);
    expect(second.structuredContent.next_cursor).toBeNull();
    await client.close();
  });

  it('reports failures as isError with the stable code and what to do', async () => {
    const client = await inMemoryClient(tokens.admin);
    const denied = await call(client, 'add_records', { document: 'other', table: 'T', records: [{}] });
    expect(denied.isError).toBe(true);
    expect(denied.content[0]!.text).toMatch(/^UNAUTHORIZED: .*'write'/);
    const unknownDoc = await call(client, 'list_tables', { document: 'nope' });
    expect(unknownDoc.isError).toBe(true);
    expect(unknownDoc.content[0]!.text).toMatch(/^UNAUTHORIZED/);
    const missingTable = await call(client, 'get_records', { document: 'main', table: 'Nope' });
    expect(missingTable.isError).toBe(true);
    expect(missingTable.content[0]!.text).toMatch(/^NOT_FOUND: .*Nope/);
    const badArgs = await call(client, 'add_records', { document: 'main', table: 'Mcp', records: 'x' });
    expect(badArgs.isError).toBe(true);
    const missingDoc = await call(client, 'list_tables', {});
    expect(missingDoc.isError).toBe(true);
    await client.close();
  });

  it('request_session_token gives a working proxy token', async () => {
    const client = await inMemoryClient(tokens.admin);
    const minted = await call(client, 'request_session_token', { document: 'main', permissions: ['read'] });
    expect(minted.isError).toBeFalsy();
    const res = await gw.proxy(minted.structuredContent.token, { method: 'list_tables' });
    expect(res.status).toBe(200);
    const escalate = await call(client, 'request_session_token', { document: 'other', permissions: ['write'] });
    expect(escalate.isError).toBe(true);
    await client.close();
  });
});

describe('MCP over HTTP on loopback', () => {
  it('/mcp rejects a missing, bad or session token with 401 and WWW-Authenticate', async () => {
    const session = await gw.session(tokens.admin, ['read']);
    for (const auth of [undefined, 'Bearer nope', `Bearer ${session}`]) {
      const res = await fetch(`${gw.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('/mcp (Streamable HTTP) lists tools and calls list_tables', async () => {
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${tokens.admin}` } } }),
    );
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('list_tables');
    const res = (await client.callTool({ name: 'list_tables', arguments: { document: 'main' } })) as ToolResult;
    expect(res.isError).toBeFalsy();
    expect(res.structuredContent.tables).toEqual(expect.any(Array));
    await client.close();
  });

  it('/sse (legacy SSE) works for grist-mcp style clients', async () => {
    const headers = { authorization: `Bearer ${tokens.admin}` };
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(
      new SSEClientTransport(new URL(`${gw.url}/sse`), {
        requestInit: { headers },
        eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
      }),
    );
    const res = (await client.callTool({ name: 'list_documents', arguments: {} })) as ToolResult;
    expect(res.structuredContent.documents.map((d: { name: string }) => d.name)).toContain('main');
    await client.close();
  });
});

describe('MCP over stdio (the CLI as a child process)', () => {
  it('serves tools on stdio with nothing else on stdout, and logs each tool call to stderr by default', async () => {
    const bin = path.resolve(import.meta.dirname, '../bin/grist-gateway.js');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bin, 'mcp', '--config', path.join(gw.dir, 'grist-gateway.yaml')],
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'LOG_LEVEL' && k !== 'LOG_FORMAT')), GRIST_GATEWAY_TOKEN: tokens.reader } as Record<string, string>,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(transport);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('list_tables');
    expect(names).not.toContain('add_records');
    const res = (await client.callTool({ name: 'list_tables', arguments: { document: 'main' } })) as ToolResult;
    expect(res.isError).toBeFalsy();
    await client.close();
    // stderr is not a terminal here: one JSON line per call, at info.
    const calls = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => l.msg === 'call');
    expect(calls).toContainEqual(
      expect.objectContaining({ level: 30, entry: 'mcp', agent: 'reader-agent', document: 'main', method: 'list_tables', status: 'ok' }),
    );
    expect(stderr).not.toContain(tokens.reader);
  }, 60_000);
});
