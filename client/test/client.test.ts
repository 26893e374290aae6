/**
 * The typed client against a live gateway on loopback (real HTTP, real /trpc endpoint, superjson).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from '../../server/test/helpers/gateway.js';
import { createGatewayClient, gatewayError } from '../src/index.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
});

describe('createGatewayClient', () => {
  it('calls every kind of method with a session token', async () => {
    const token = await gw.session(tokens.admin, ['read', 'write', 'schema']);
    const gg = createGatewayClient({ url: gw.url, token });
    const { table_id } = await gg.create_table.mutate({ table_id: 'Typed', columns: [{ id: 'Name', type: 'Text' }, { id: 'N', type: 'Int' }] });
    expect(table_id).toBe('Typed');
    const { record_ids } = await gg.add_records.mutate({ table: 'Typed', records: [{ Name: 'a', N: 1 }, { Name: 'b', N: 2 }] });
    expect(record_ids).toHaveLength(2);
    const { records } = await gg.get_records.query({ table: 'Typed', sort: '-N' });
    expect(records.map((r) => r.Name)).toEqual(['b', 'a']);
    const { updated } = await gg.update_records.mutate({ table: 'Typed', records: [{ id: record_ids[0]!, fields: { N: 10 } }] });
    expect(updated).toBe(1);
    const sql = await gg.sql_query.query({ query: 'SELECT MAX(N) AS m FROM Typed' });
    expect(sql.records).toEqual([{ m: 10 }]);
  });

  it('surfaces the stable error codes', async () => {
    const readOnly = await gw.session(tokens.admin, ['read']);
    const gg = createGatewayClient({ url: gw.url, token: readOnly });
    const denied = await gg.add_records.mutate({ table: 'Typed', records: [{ Name: 'x' }] }).catch((err: unknown) => err);
    expect(gatewayError(denied)).toMatchObject({ code: 'UNAUTHORIZED' });
    const missing = await gg.get_records.query({ table: 'Nope' }).catch((err: unknown) => err);
    expect(gatewayError(missing)).toMatchObject({ code: 'NOT_FOUND' });
    const bad = createGatewayClient({ url: gw.url, token: 'sess_not_a_token' });
    const invalid = await bad.list_tables.query({}).catch((err: unknown) => err);
    expect(gatewayError(invalid)).toMatchObject({ code: 'INVALID_TOKEN' });
  });

  it('uses an agent token with an explicit document', async () => {
    const gg = createGatewayClient({ url: gw.url, token: tokens.admin });
    const { tables } = await gg.list_tables.query({ document: 'main' });
    expect(tables).toContain('Typed');
    const { documents } = await gg.list_documents.query({});
    expect(documents.map((d) => d.name).sort()).toEqual(['main', 'other']);
  });
});
