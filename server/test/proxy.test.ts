/**
 * The JSON proxy end to end: real HTTP on loopback, real embedded documents, real config. Every data
 * method, every error code, and the no-escalation rule of session tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
let all: string; // session with read, write, schema on main

beforeAll(async () => {
  gw = await startTestGateway();
  all = await gw.session(tokens.admin, ['read', 'write', 'schema']);
  const created = await gw.proxy(all, {
    method: 'create_table',
    table_id: 'Orders',
    columns: [
      { id: 'Item', type: 'Text' },
      { id: 'Qty', type: 'Int' },
      { id: 'Price', type: 'Numeric' },
      { id: 'Paid', type: 'Bool' },
    ],
  });
  expect(created).toEqual({ status: 200, body: { success: true, data: { table_id: 'Orders' } } });
});
afterAll(async () => {
  await gw?.close();
});

describe('data methods through the proxy', () => {
  it('list_tables and describe_table', async () => {
    const tables = await gw.proxy(all, { method: 'list_tables' });
    expect(tables.status).toBe(200);
    expect(tables.body.data.tables).toContain('Orders');
    const described = await gw.proxy(all, { method: 'describe_table', table: 'Orders' });
    expect(described.status).toBe(200);
    expect(described.body.data.table).toBe('Orders');
    expect(described.body.data.columns.map((c: { id: string }) => c.id)).toEqual(['Item', 'Qty', 'Price', 'Paid']);
    expect(described.body.data.columns[1]).toMatchObject({ id: 'Qty', type: 'Int', isFormula: false, formula: '' });
  });

  it('add_records, get_records with filter/sort/limit, update_records, delete_records', async () => {
    const added = await gw.proxy(all, {
      method: 'add_records',
      table: 'Orders',
      records: [
        { Item: 'apple', Qty: 3, Price: 1.5, Paid: true },
        { Item: 'pear', Qty: 1, Price: 2, Paid: false },
        { Item: 'fig', Qty: 7, Price: 0.5, Paid: true },
      ],
    });
    expect(added.status).toBe(200);
    expect(added.body.data.record_ids).toHaveLength(3);
    const [apple, pear, fig] = added.body.data.record_ids as number[];

    const paid = await gw.proxy(all, { method: 'get_records', table: 'Orders', filter: { Paid: true }, sort: '-Qty' });
    expect(paid.status).toBe(200);
    expect(paid.body.data.records).toEqual([
      { id: fig, Item: 'fig', Qty: 7, Price: 0.5, Paid: true },
      { id: apple, Item: 'apple', Qty: 3, Price: 1.5, Paid: true },
    ]);

    const updated = await gw.proxy(all, {
      method: 'update_records',
      table: 'Orders',
      records: [
        { id: pear, fields: { Paid: true } },
        { id: fig, fields: { Qty: 8, Item: 'figs' } },
      ],
    });
    expect(updated.body).toEqual({ success: true, data: { updated: 2 } });
    const after = await gw.proxy(all, { method: 'get_records', table: 'Orders', filter: { id: [pear, fig] } });
    expect(after.body.data.records.map((r: { Paid: boolean; Item: string }) => [r.Item, r.Paid])).toEqual([
      ['pear', true],
      ['figs', true],
    ]);

    const deleted = await gw.proxy(all, { method: 'delete_records', table: 'Orders', record_ids: [pear] });
    expect(deleted.body).toEqual({ success: true, data: { deleted: 1 } });
    const left = await gw.proxy(all, { method: 'get_records', table: 'Orders', limit: 10 });
    expect(left.body.data.records.map((r: { id: number }) => r.id)).toEqual([apple, fig]);
  });

  it('sql_query returns row objects', async () => {
    const res = await gw.proxy(all, { method: 'sql_query', query: 'SELECT Item, Qty FROM Orders WHERE Qty > 2 ORDER BY Qty' });
    expect(res.status).toBe(200);
    expect(res.body.data.records).toEqual([
      { Item: 'apple', Qty: 3 },
      { Item: 'figs', Qty: 8 },
    ]);
  });

  it('add_or_update_records upserts by require', async () => {
    const res = await gw.proxy(all, {
      method: 'add_or_update_records',
      table: 'Orders',
      records: [
        { require: { Item: 'apple' }, fields: { Qty: 30 } },
        { require: { Item: 'kiwi' }, fields: { Qty: 2 } },
      ],
    });
    expect(res.status).toBe(200);
    const rows = await gw.proxy(all, { method: 'get_records', table: 'Orders', filter: { Item: ['apple', 'kiwi'] } });
    expect(rows.body.data.records.map((r: { Item: string; Qty: number }) => [r.Item, r.Qty])).toEqual([
      ['apple', 30],
      ['kiwi', 2],
    ]);
    expect(res.body.data.added).toEqual([rows.body.data.records[1].id]);
    expect(res.body.data.updated).toEqual([rows.body.data.records[0].id]);
  });

  it('schema methods: add_column, modify_column, delete_column, rename_table, delete_table', async () => {
    await gw.proxy(all, { method: 'create_table', table_id: 'Scratch', columns: [{ id: 'A', type: 'Text' }] });
    const add = await gw.proxy(all, { method: 'add_column', table: 'Scratch', column_id: 'Notes', column_type: 'Text', label: 'Notes' });
    expect(add.body).toEqual({ success: true, data: { column_id: 'Notes' } });
    const modify = await gw.proxy(all, { method: 'modify_column', table: 'Scratch', column_id: 'Notes', type: 'Int' });
    expect(modify.body).toEqual({ success: true, data: { column_id: 'Notes' } });
    const described = await gw.proxy(all, { method: 'describe_table', table: 'Scratch' });
    expect(described.body.data.columns.find((c: { id: string }) => c.id === 'Notes').type).toBe('Int');
    const del = await gw.proxy(all, { method: 'delete_column', table: 'Scratch', column_id: 'Notes' });
    expect(del.body).toEqual({ success: true, data: { deleted: 'Notes' } });
    const renamed = await gw.proxy(all, { method: 'rename_table', table: 'Scratch', new_table_id: 'Scratch2' });
    expect(renamed.body).toEqual({ success: true, data: { table_id: 'Scratch2' } });
    const dropped = await gw.proxy(all, { method: 'delete_table', table: 'Scratch2' });
    expect(dropped.body).toEqual({ success: true, data: { deleted: 'Scratch2' } });
    const tables = await gw.proxy(all, { method: 'list_tables' });
    expect(tables.body.data.tables).not.toContain('Scratch2');
  });
});

describe('get_records paging', () => {
  it('pages through a table with next_cursor, also while rows are added', async () => {
    await gw.proxy(all, { method: 'create_table', table_id: 'Big', columns: [{ id: 'N', type: 'Int' }] });
    const records = Array.from({ length: 25 }, (_, i) => ({ N: i }));
    await gw.proxy(all, { method: 'add_records', table: 'Big', records });
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await gw.proxy(all, { method: 'get_records', table: 'Big', limit: 10, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      seen.push(...res.body.data.records.map((r: { N: number }) => r.N));
      cursor = res.body.data.next_cursor ?? undefined;
      if (pages === 0) await gw.proxy(all, { method: 'add_records', table: 'Big', records: [{ N: 100 }] });
      pages++;
    } while (cursor);
    expect(seen).toEqual([...records.map((r) => r.N), 100]);
    expect(pages).toBe(3);
  });

  it('pages in a sorted order', async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const res = await gw.proxy(all, { method: 'get_records', table: 'Big', sort: '-N', limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...res.body.data.records.map((r: { N: number }) => r.N));
      cursor = res.body.data.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([100, ...Array.from({ length: 25 }, (_, i) => 24 - i)]);
  });

  it('refuses a cursor from another query', async () => {
    const first = await gw.proxy(all, { method: 'get_records', table: 'Big', limit: 5 });
    const res = await gw.proxy(all, { method: 'get_records', table: 'Big', sort: 'N', limit: 5, cursor: first.body.data.next_cursor });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, code: 'INVALID_REQUEST' });
    expect(res.body.error).toMatch(/cursor/);
  });
});

describe('error contract', () => {
  it('401 INVALID_TOKEN for a missing, malformed or unknown token', async () => {
    for (const token of [undefined, 'nope', 'gga_wrong_token_value_1234567', 'sess_unknownsecretvalue1234567']) {
      const res = await gw.proxy(token, { method: 'list_tables' });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, code: 'INVALID_TOKEN' });
      // The message never echoes the secret part of a token.
      if (token && token.length > 12) expect(JSON.stringify(res.body)).not.toContain(token.slice(10));
    }
  });

  it('401 TOKEN_EXPIRED for an expired session', async () => {
    let now = Date.now();
    const local = await startTestGateway({ now: () => now });
    try {
      const token = await local.session(tokens.admin, ['read'], 'main', 5);
      expect((await local.proxy(token, { method: 'list_tables' })).status).toBe(200);
      now += 6000;
      const res = await local.proxy(token, { method: 'list_tables' });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, code: 'TOKEN_EXPIRED' });
    } finally {
      await local.close();
    }
  });

  it('403 UNAUTHORIZED when the session lacks the permission', async () => {
    const readOnly = await gw.session(tokens.admin, ['read']);
    const res = await gw.proxy(readOnly, { method: 'add_records', table: 'Orders', records: [{ Item: 'x' }] });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    expect(res.body.error).toContain("'write'");
    const schema = await gw.proxy(readOnly, { method: 'delete_table', table: 'Orders' });
    expect(schema.status).toBe(403);
  });

  it('400 INVALID_REQUEST for bad JSON, unknown method, missing or invalid fields, naming the field', async () => {
    const bad = await gw.post('/api/v1/proxy', '{"method": ', all, { raw: true });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, code: 'INVALID_REQUEST' });
    expect(bad.body.error).toMatch(/JSON/);

    const unknown = await gw.proxy(all, { method: 'drop_everything' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toContain('Unknown method: drop_everything');

    const missing = await gw.proxy(all, { method: 'add_records', table: 'Orders' });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('INVALID_REQUEST');
    expect(missing.body.error).toContain('records');

    const invalid = await gw.proxy(all, { method: 'update_records', table: 'Orders', records: [{ id: 1, fields: 'x' }] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toContain('records[0].fields');
  });

  it('any JSON value as body gets a 4xx, never a 500', async () => {
    for (const body of ['[]', '42', 'null', '"x"', 'true', '{"method": 7}', '{"method": null}', '[{"method":"list_tables"}]', '{"method":"get_records","table":{"a":[1,{"b":null}]}}', '{"method":"add_records","table":"Orders","records":[[1,2],null,{"x":{"y":1}}]}', '']) {
      const res = await gw.post('/api/v1/proxy', body, all, { raw: true });
      expect(res.status, body).toBeGreaterThanOrEqual(400);
      expect(res.status, body).toBeLessThan(500);
      expect(res.body.success, body).toBe(false);
    }
  });

  it('404 NOT_FOUND for an unknown table or column', async () => {
    const table = await gw.proxy(all, { method: 'get_records', table: 'Nope' });
    expect(table.status).toBe(404);
    expect(table.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
    expect(table.body.error).toContain('Nope');
    // What does exist, so an agent can correct itself in one step.
    expect(table.body.details.valid).toContain('Orders');
    expect(table.body.error).toContain('Orders');
    const column = await gw.proxy(all, { method: 'add_records', table: 'Orders', records: [{ Nope: 1 }] });
    expect(column.status).toBe(404);
    expect(column.body.code).toBe('NOT_FOUND');
    expect(column.body.error).toContain('Nope');
    expect(column.body.details.valid).toEqual(['Item', 'Qty', 'Price', 'Paid']);
    const unknownFilter = await gw.proxy(all, { method: 'get_records', table: 'Orders', filter: { Nope: [1] } });
    expect(unknownFilter.status).toBe(404);
    expect(unknownFilter.body.details.valid).toEqual(['Item', 'Qty', 'Price', 'Paid']);
    const unknownSort = await gw.proxy(all, { method: 'get_records', table: 'Orders', sort: 'Nope' });
    expect(unknownSort.status).toBe(404);
    const unknownColumn = await gw.proxy(all, { method: 'delete_column', table: 'Orders', column_id: 'Nope' });
    expect(unknownColumn.status).toBe(404);
  });

  it('413 PAYLOAD_TOO_LARGE for a body over the limit', async () => {
    const local = await startTestGateway({ app: { maxBodyBytes: 1000 } });
    try {
      const token = await local.session(tokens.admin, ['write']);
      const res = await local.proxy(token, { method: 'add_records', table: 'Orders', records: [{ Item: 'x'.repeat(2000) }] });
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });
    } finally {
      await local.close();
    }
  });

  it('GRIST_ERROR keeps Grist\'s message for other failures', async () => {
    const res = await gw.proxy(all, { method: 'sql_query', query: 'DELETE FROM Orders' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.code).toBe('GRIST_ERROR');
    expect(res.body.error).toMatch(/select/i);
  });
});

describe('session tokens: no escalation', () => {
  it('cannot ask for more than the agent has, nor an empty list, nor another document', async () => {
    for (const [agent, permissions, document] of [
      [tokens.reader, ['read', 'write'], 'main'],
      [tokens.reader, ['schema'], 'main'],
      [tokens.reader, [], 'main'],
      [tokens.reader, ['read'], 'other'],
      [tokens.admin, ['write'], 'other'],
      [tokens.admin, ['read'], 'unknown-doc'],
    ] as const) {
      const res = await gw.proxy(agent, { method: 'request_session_token', document, permissions });
      expect(res.status, JSON.stringify([permissions, document])).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(['UNAUTHORIZED', 'INVALID_REQUEST']).toContain(res.body.code);
    }
  });

  it('a session token cannot mint another session token', async () => {
    const res = await gw.proxy(all, { method: 'request_session_token', document: 'main', permissions: ['read'] });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('UNAUTHORIZED');
  });

  it('a session is bound to its document', async () => {
    const res = await gw.proxy(all, { method: 'list_tables', document: 'other' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('UNAUTHORIZED');
  });

  it('a write-only agent gets write but not read', async () => {
    const token = await gw.session(tokens.writer, ['write']);
    expect((await gw.proxy(token, { method: 'add_records', table: 'Orders', records: [{ Item: 'w' }] })).status).toBe(200);
    expect((await gw.proxy(token, { method: 'get_records', table: 'Orders' })).status).toBe(403);
  });

  it('request_session_token answers token, document, permissions, expires_at, proxy_url; revoke ends it', async () => {
    const res = await gw.proxy(tokens.admin, { method: 'request_session_token', document: 'main', permissions: ['read'], ttl_seconds: 60 });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ document: 'main', permissions: ['read'], proxy_url: `${gw.url}/api/v1/proxy` });
    expect(res.body.data.token).toMatch(/^sess_/);
    const expires = Date.parse(res.body.data.expires_at);
    expect(expires - Date.now()).toBeGreaterThan(50_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(60_000);
    const revoked = await gw.proxy(tokens.admin, { method: 'revoke_session_token', token: res.body.data.token });
    expect(revoked.body).toEqual({ success: true, data: { revoked: true } });
    expect((await gw.proxy(res.body.data.token, { method: 'list_tables' })).status).toBe(401);
  });

  it('TTL over the maximum is refused', async () => {
    const res = await gw.proxy(tokens.admin, { method: 'request_session_token', document: 'main', permissions: ['read'], ttl_seconds: 3601 });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_REQUEST');
    expect(res.body.error).toContain('ttl_seconds');
  });
});
