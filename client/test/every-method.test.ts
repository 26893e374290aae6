/**
 * Every method of the registry through /trpc with the typed client, plus the error codes it surfaces.
 */
import { methodNames } from '@grist-gateway/shared';
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

describe('every method over /trpc', () => {
  it('works with the typed client', async () => {
    const called = new Set<string>();
    const session = await gw.session(tokens.admin, ['read', 'write', 'schema']);
    const gg = createGatewayClient({ url: gw.url, token: session });
    const agent = createGatewayClient({ url: gw.url, token: tokens.admin });
    const mark = <T>(name: string, value: T): T => {
      called.add(name);
      return value;
    };

    expect(mark('create_table', await gg.create_table.mutate({ table_id: 'Trpc', columns: [{ id: 'K', type: 'Text' }, { id: 'V', type: 'Int' }] }))).toEqual({ table_id: 'Trpc' });
    const { record_ids } = mark('add_records', await gg.add_records.mutate({ table: 'Trpc', records: [{ K: 'a', V: 1 }, { K: 'b', V: 2 }] }));
    expect(mark('update_records', await gg.update_records.mutate({ table: 'Trpc', records: [{ id: record_ids[0]!, fields: { V: 5 } }] }))).toEqual({ updated: 1 });
    const upsert = mark('add_or_update_records', await gg.add_or_update_records.mutate({ table: 'Trpc', records: [{ require: { K: 'c' }, fields: { V: 3 } }] }));
    expect(upsert.added).toHaveLength(1);
    expect(mark('delete_records', await gg.delete_records.mutate({ table: 'Trpc', record_ids: [record_ids[1]!] }))).toEqual({ deleted: 1 });
    const page = mark('get_records', await gg.get_records.query({ table: 'Trpc', sort: 'K', limit: 1 }));
    expect(page.records.map((r) => r.K)).toEqual(['a']);
    expect(page.next_cursor).toEqual(expect.any(String));
    const next = await gg.get_records.query({ table: 'Trpc', sort: 'K', limit: 1, cursor: page.next_cursor! });
    expect(next.records.map((r) => r.K)).toEqual(['c']);
    expect(mark('sql_query', await gg.sql_query.query({ query: 'SELECT SUM(V) AS s FROM Trpc' })).records).toEqual([{ s: 8 }]);
    expect(mark('list_tables', await gg.list_tables.query({})).tables).toContain('Trpc');
    expect(mark('add_column', await gg.add_column.mutate({ table: 'Trpc', column_id: 'Note', column_type: 'Text' }))).toEqual({ column_id: 'Note' });
    expect(mark('modify_column', await gg.modify_column.mutate({ table: 'Trpc', column_id: 'Note', type: 'Numeric' }))).toEqual({ column_id: 'Note' });
    const described = mark('describe_table', await gg.describe_table.query({ table: 'Trpc' }));
    expect(described.columns.map((c) => [c.id, c.type])).toEqual([['K', 'Text'], ['V', 'Int'], ['Note', 'Numeric']]);
    expect(mark('delete_column', await gg.delete_column.mutate({ table: 'Trpc', column_id: 'Note' }))).toEqual({ deleted: 'Note' });
    expect(mark('rename_table', await gg.rename_table.mutate({ table: 'Trpc', new_table_id: 'Trpc2' }))).toEqual({ table_id: 'Trpc2' });
    expect(mark('delete_table', await gg.delete_table.mutate({ table: 'Trpc2' }))).toEqual({ deleted: 'Trpc2' });

    expect(mark('list_documents', await agent.list_documents.query({})).documents.map((d) => d.name)).toEqual(['main', 'other']);
    const minted = mark('request_session_token', await agent.request_session_token.mutate({ document: 'main', permissions: ['read'] }));
    expect(minted.token).toMatch(/^sess_/);
    expect(mark('revoke_session_token', await agent.revoke_session_token.mutate({ token: minted.token }))).toEqual({ revoked: true });
    expect(JSON.stringify(mark('get_proxy_documentation', await agent.get_proxy_documentation.query({})))).toContain('/api/v1/proxy');

    expect([...called].sort()).toEqual([...methodNames].sort());
  });

  it('reports the same error codes as the proxy', async () => {
    const readOnly = createGatewayClient({ url: gw.url, token: await gw.session(tokens.admin, ['read']) });
    const code = async (p: Promise<unknown>) => gatewayError(await p.then(() => undefined, (e: unknown) => e))?.code;
    expect(await code(readOnly.add_records.mutate({ table: 'T', records: [{}] }))).toBe('UNAUTHORIZED');
    expect(await code(readOnly.get_records.query({ table: 'Nope' }))).toBe('NOT_FOUND');
    expect(await code(readOnly.request_session_token.mutate({ document: 'main', permissions: ['read'] }))).toBe('UNAUTHORIZED');
    expect(await code(createGatewayClient({ url: gw.url, token: 'sess_nope' }).list_tables.query({}))).toBe('INVALID_TOKEN');
    // @ts-expect-error a wrong field type is a compile error, and a runtime INVALID_REQUEST
    expect(await code(readOnly.get_records.query({ table: 42 }))).toBe('INVALID_REQUEST');
  });
});
