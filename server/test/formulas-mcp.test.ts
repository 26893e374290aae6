/**
 * An agent adds a formula column over MCP on an embedded document and reads computed values back; an
 * update to an input changes the value on the next read; SQL sees the stored values. Real gateway, real
 * MCP client (in memory), real Python.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDocument } from '../src/engine/index.js';
import { pythonLoadMs } from '../src/engine/formulas/runtime.js';
import { startTestGateway, tokens, type TestGateway } from './helpers/gateway.js';
import { connectMcpClient } from './helpers/mcp.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await pythonLoadMs(); // once per process, outside a test's time limit
}, 180_000);
afterAll(async () => {
  await gw?.close();
});

type ToolResult = { isError?: boolean; structuredContent?: any; content: { type: string; text?: string }[] };

/** The admin agent's MCP tools over an in-memory transport; `call` fails the test on a tool error. */
async function adminTools(): Promise<{ client: Client; call: (name: string, args: Record<string, unknown>) => Promise<any> }> {
  const client = await connectMcpClient(gw, tokens.admin);
  const call = async (name: string, args: Record<string, unknown>): Promise<any> => {
    const r = (await client.callTool({ name, arguments: { document: 'main', ...args } })) as ToolResult;
    expect(r.isError, `${name}: ${r.content[0]?.text}`).toBeFalsy();
    return r.structuredContent;
  };
  return { client, call };
}

describe('formulas over MCP', () => {
  it('add_column with a formula, read computed values, update an input, read again', async () => {
    const { client, call } = await adminTools();
    try {
      await call('create_table', { table_id: 'Lines', columns: [{ id: 'Item', type: 'Text' }, { id: 'Price', type: 'Numeric' }, { id: 'Qty', type: 'Int' }] });
      const { record_ids: ids } = await call('add_records', { table: 'Lines', records: [{ Item: 'pen', Price: 2.5, Qty: 4 }, { Item: 'desk', Price: 150, Qty: 0 }] });
      await call('add_column', { table: 'Lines', column_id: 'Total', column_type: 'Numeric', formula: '$Price * $Qty' });
      await call('add_column', { table: 'Lines', column_id: 'Each', column_type: 'Numeric', formula: '$Total / $Qty' });
      const described = await call('describe_table', { table: 'Lines' });
      expect(described.columns.find((c: { id: string }) => c.id === 'Total')).toMatchObject({ isFormula: true, formula: '$Price * $Qty' });

      const read = async (): Promise<unknown[]> => (await call('get_records', { table: 'Lines' })).records;
      expect(await read()).toEqual([
        { id: ids[0], Item: 'pen', Price: 2.5, Qty: 4, Total: 10, Each: 2.5 },
        expect.objectContaining({ id: ids[1], Total: 0, Each: null, _errors: expect.objectContaining({ Each: expect.anything() }) }),
      ]);
      await call('update_records', { table: 'Lines', records: [{ id: ids[1], fields: { Qty: 2 } }] });
      expect(await read()).toEqual([
        { id: ids[0], Item: 'pen', Price: 2.5, Qty: 4, Total: 10, Each: 2.5 },
        { id: ids[1], Item: 'desk', Price: 150, Qty: 2, Total: 300, Each: 150 },
      ]);
      const sql = await call('sql_query', { query: 'SELECT SUM(Total) AS total FROM Lines' });
      expect(sql.records).toEqual([{ total: 310 }]);
    } finally {
      await client.close();
    }
  });
  it('display helper columns (SetDisplayFormula) stay out of describe_table, get_records and the proxy, as manualSort does', async () => {
    const { client, call } = await adminTools();
    try {
      await call('create_table', { table_id: 'People', columns: [{ id: 'Name', type: 'Text' }] });
      await call('create_table', { table_id: 'Tasks', columns: [{ id: 'Title', type: 'Text' }, { id: 'Who', type: 'Ref:People' }] });
      const { record_ids: people } = await call('add_records', { table: 'People', records: [{ Name: 'Ann' }, { Name: 'Bo' }] });
      await call('add_records', { table: 'Tasks', records: [{ Title: 'plan', Who: people[1] }] });
      // The gateway has no method for user actions; a document edited in Grist's UI (or over its REST /apply) gets one.
      const doc = gw.gateway.services.backends.get('main');
      expect(doc).toBeInstanceOf(EmbeddedDocument);
      await (doc as EmbeddedDocument).applyUserActions([['SetDisplayFormula', 'Tasks', null, 'Who', '$Who.Name']]);
      const hiddenCols = (await doc.listColumns('Tasks', { hidden: true })).map((c) => c.id);
      expect(hiddenCols).toContain('gristHelper_Display');

      const described = await call('describe_table', { table: 'Tasks' });
      expect(described.columns.map((c: { id: string }) => c.id)).toEqual(['Title', 'Who']);
      expect((await call('get_records', { table: 'Tasks' })).records).toEqual([{ id: 1, Title: 'plan', Who: people[1] }]);
      const viaProxy = await gw.proxy(tokens.admin, { method: 'get_records', document: 'main', table: 'Tasks' });
      expect(viaProxy.status).toBe(200);
      expect(JSON.stringify(viaProxy.body)).not.toContain('gristHelper_');
      const describedViaProxy = await gw.proxy(tokens.admin, { method: 'describe_table', document: 'main', table: 'Tasks' });
      expect(describedViaProxy.body.data.columns.map((c: { id: string }) => c.id)).toEqual(['Title', 'Who']);
      // SQL sees the helper's computed values, as in Grist (03 sql-ref-after-display).
      const sql = await call('sql_query', { query: 'SELECT gristHelper_Display AS shown FROM Tasks' });
      expect(sql.records).toEqual([{ shown: 'Bo' }]);
    } finally {
      await client.close();
    }
  });
});
