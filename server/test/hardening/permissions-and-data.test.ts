/**
 * What a token learns is what it was granted: a write-only token cannot read through upsert matches or
 * error messages; `__proto__` keys are refused instead of silently dropped; answers never carry the
 * server's file paths. Real gateway, real HTTP on loopback, real embedded documents, real MCP client.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let all: string;
let writeOnly: string;
let readWrite: string;

beforeAll(async () => {
  gw = await startTestGateway();
  all = await gw.session(tokens.admin, ['read', 'write', 'schema']);
  writeOnly = await gw.session(tokens.admin, ['write']);
  readWrite = await gw.session(tokens.admin, ['read', 'write']);
  await gw.proxy(all, { method: 'create_table', table_id: 'Staff', columns: [{ id: 'Name', type: 'Text' }, { id: 'Salary', type: 'Numeric' }] });
  await gw.proxy(all, { method: 'add_records', table: 'Staff', records: [{ Name: 'Alice', Salary: 91000 }] });
});
afterAll(async () => {
  await gw?.close();
});

describe('add_or_update_records needs read and write', () => {
  const guess = { method: 'add_or_update_records', table: 'Staff', add: false, records: [{ require: { Name: 'Alice', Salary: 91000 } }] };

  it('refuses a write-only token: matches would reveal data', async () => {
    const res = await gw.proxy(writeOnly, guess);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(res.body.error).toBe(`Permission 'read' required for add_or_update_records on document "main" (it needs 'write' and 'read')`);
  });

  it('allows read + write', async () => {
    const res = await gw.proxy(readWrite, guess);
    expect(res.status).toBe(200);
    expect(res.body.data.record_ids).toHaveLength(1);
  });

  it('the proxy documentation and OpenAPI show both permissions', async () => {
    const docs = await gw.proxy(tokens.admin, { method: 'get_proxy_documentation' });
    expect(docs.body.data.methods.add_or_update_records.permission).toBe('read + write');
    expect(docs.body.data.methods.add_records.permission).toBe('write');
    const openapi = await (await fetch(`${gw.url}/api/v1/openapi.json`)).json() as { info: { description: string } };
    expect(openapi.info.description).toContain('`add_or_update_records` (read + write)');
  });

  it('MCP lists add_or_update_records only to an agent holding read and write on one document', async () => {
    const list = async (token: string): Promise<string[]> => {
      const client = new Client({ name: 'test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      try {
        return (await client.listTools()).tools.map((t) => t.name);
      } finally {
        await client.close();
      }
    };
    const writer = await list(tokens.writer);
    expect(writer).toContain('add_records');
    expect(writer).not.toContain('add_or_update_records');
    expect(await list(tokens.admin)).toContain('add_or_update_records');
  });
});

describe('not-found messages list names only to tokens that may see them', () => {
  it('a write-only token is not told the tables or columns', async () => {
    const table = await gw.proxy(writeOnly, { method: 'add_records', table: 'Secret', records: [{ A: 1 }] });
    expect(table.status).toBe(404);
    expect(table.body.error).not.toContain('Staff');
    expect(table.body.details?.valid).toBeUndefined();
    const column = await gw.proxy(writeOnly, { method: 'add_records', table: 'Staff', records: [{ Nope: 1 }] });
    expect(column.status).toBe(404);
    expect(column.body.error).not.toContain('Salary');
    expect(column.body.details?.valid).toBeUndefined();
  });

  it('a token with read is (control)', async () => {
    const column = await gw.proxy(readWrite, { method: 'add_records', table: 'Staff', records: [{ Nope: 1 }] });
    expect(column.body.details.valid).toEqual(['Name', 'Salary']);
  });
});

describe('__proto__ keys are refused, never dropped', () => {
  const raw = (token: string, text: string) => gw.post('/api/v1/proxy', text, token, { raw: true });

  it('in a filter', async () => {
    const res = await raw(all, '{"method":"get_records","table":"Staff","filter":{"__proto__":["x"]}}');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', error: 'filter.__proto__: "__proto__" cannot be a column id or field name' });
  });

  it('in an update, an add and an upsert', async () => {
    for (const [text, where] of [
      ['{"method":"update_records","table":"Staff","records":[{"id":1,"fields":{"__proto__":"x"}}]}', 'records[0].fields.__proto__'],
      ['{"method":"add_records","table":"Staff","records":[{"Name":"B","__proto__":{"Salary":1}}]}', 'records[0].__proto__'],
      ['{"method":"add_or_update_records","table":"Staff","records":[{"require":{"__proto__":"x"}}]}', 'records[0].require.__proto__'],
      // Inside a list cell, where the bulk inputs' fast check must not let it through either.
      ['{"method":"add_records","table":"Staff","records":[{"Name":"B"},{"Name":["O",{"a":{"__proto__":1}}]}]}', 'records[1].Name[1].a.__proto__'],
      ['{"method":"update_records","table":"Staff","records":[{"id":1,"fields":{"Name":["L",["x",{"__proto__":1}]]}}]}', 'records[0].fields.Name[1][1].__proto__'],
    ] as const) {
      const res = await raw(all, text);
      expect(res.status, text).toBe(400);
      expect(res.body.error).toBe(`${where}: "__proto__" cannot be a column id or field name`);
    }
    const rows = await gw.proxy(all, { method: 'get_records', table: 'Staff' });
    expect(rows.body.data.records).toEqual([{ id: 1, Name: 'Alice', Salary: 91000 }]);
  });

  it('in the last row of a large add that is otherwise valid (nothing is written)', async () => {
    const records = Array.from({ length: 5_000 }, (_, i) => `{"Name":"n${i}","Salary":${i}}`);
    records[4_999] = '{"Name":"last","Salary":1,"__proto__":{"Salary":2}}';
    const res = await raw(all, `{"method":"add_records","table":"Staff","records":[${records.join(',')}]}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', error: 'records[4999].__proto__: "__proto__" cannot be a column id or field name' });
    const rows = await gw.proxy(all, { method: 'get_records', table: 'Staff' });
    expect(rows.body.data.records).toEqual([{ id: 1, Name: 'Alice', Salary: 91000 }]);
  });

  it('over /trpc too', async () => {
    const input = encodeURIComponent('{"json":{"table":"Staff","filter":{"__proto__":["x"]}}}');
    const res = await fetch(`${gw.url}/trpc/get_records?input=${input}`, { headers: { authorization: `Bearer ${all}` } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('"filter.__proto__: \\"__proto__\\" cannot be a column id or field name"');
    const post = await fetch(`${gw.url}/trpc/update_records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${all}`, 'content-type': 'application/json' },
      body: '{"json":{"table":"Staff","records":[{"id":1,"fields":{"__proto__":"x"}}]}}',
    });
    expect(post.status).toBe(400);
    expect(JSON.stringify(await post.json())).toContain('records[0].fields.__proto__');
  });

  it('sql_query refuses a result column named __proto__ instead of dropping it', async () => {
    const res = await gw.proxy(all, { method: 'sql_query', query: 'SELECT 1 AS "__proto__", 2 AS b' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', error: 'query: a result column is named "__proto__"; rename it with AS' });
  });
});

describe('no server paths in answers', () => {
  it('create_table sqlite_master fails without naming the file', async () => {
    const res = await gw.proxy(all, { method: 'create_table', table_id: 'sqlite_master', columns: [{ id: 'A', type: 'Text' }] });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(res.body)).not.toContain(gw.dir);
    expect(JSON.stringify(res.body)).not.toContain('.grist');
    expect(res.body.error).toContain('document "main"');
  });

  it('pragma_database_list is refused', async () => {
    const res = await gw.proxy(all, { method: 'sql_query', query: 'SELECT file FROM pragma_database_list' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(res.body)).not.toContain(gw.dir);
  });
});
