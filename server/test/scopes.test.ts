/**
 * Table and column scopes end to end: an agent scoped to `Orders: "*"` and `Customers: [Name, City]` on an
 * embedded document and on a Grist-server document (the HTTP backend against the embedded REST API on
 * loopback), through MCP, the JSON proxy and the typed tRPC client, and session tokens that narrow it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRestApi, TEST_API_KEY, type TestRestApi } from './conformance/rest-api.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { mcpCaller, proxyCaller, trpcCaller, type Caller } from './helpers/entry-points.js';

const ADMIN = 'gga_scope_admin_token_0123456789abcdef';
const ORDERS = 'gga_scope_orders_token_0123456789abcdef';
const READER = 'gga_scope_reader_token_0123456789abcdef';

/** The config, with `sales` either embedded or on a Grist server (the embedded REST API on loopback). */
const config = (sales: string) => `documents:
  sales: ${sales}
tokens:
  - token: ${ADMIN}
    name: admin
    scope:
      - document: sales
        permissions: [read, write, schema]
  - token: ${ORDERS}
    name: orders-agent
    scope:
      - document: sales
        permissions: [read, write, schema]
        tables:
          Orders: "*"
          Customers: [Name, City]
  - token: ${READER}
    name: reader
    scope:
      - document: sales
        permissions: [read]
        tables:
          Customers: [Name]
`;

/** Names and values an `orders-agent` token must never receive. */
const HIDDEN = ['Salaries', 'Email', 'Amount', 'CustEmail', 'secret@example.com', '98765'];

function scopeSuite(kind: 'embedded' | 'http'): void {
  let gw: TestGateway;
  let admin: Caller;
  let receiptId: number;
  let payslipId: number;

  async function upload(token: string, name: string, content: string): Promise<{ status: number; body: any }> {
    const form = new FormData();
    form.append('file', new Blob([content]), name);
    const res = await fetch(`${gw.url}/api/v1/attachments`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    return { status: res.status, body: await res.json() };
  }

  async function download(token: string, id: number): Promise<{ status: number; text: string }> {
    const res = await fetch(`${gw.url}/api/v1/attachments/${id}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, text: await res.text() };
  }

  async function session(agentToken: string, extra: Record<string, unknown> = {}): Promise<{ ok: boolean; token?: string; body: any }> {
    const res = await gw.proxy(agentToken, { method: 'request_session_token', document: 'sales', permissions: ['read', 'write', 'schema'], ...extra });
    return { ok: res.status === 200, token: res.body?.data?.token, body: res.body };
  }

  let rest: TestRestApi | undefined;
  beforeAll(async () => {
    if (kind === 'http') {
      rest = await startTestRestApi();
      gw = await startTestGateway({}, config(`{url: "${rest.url}", doc_id: ${rest.docId}, api_key: ${TEST_API_KEY}}`));
    } else {
      gw = await startTestGateway({}, config('{engine: embedded, path: ./data/sales.grist}'));
    }
    const adminSession = (await session(ADMIN)).token!;
    admin = proxyCaller(gw, adminSession);
    const created = await admin('create_table', { table_id: 'Customers', columns: [{ id: 'Name', type: 'Text' }, { id: 'City', type: 'Text' }, { id: 'Email', type: 'Text' }] });
    expect(created.ok, created.text).toBe(true);
    await admin('create_table', { table_id: 'Salaries', columns: [{ id: 'Person', type: 'Ref:Customers' }, { id: 'Amount', type: 'Int' }, { id: 'Payslip', type: 'Attachments' }] });
    await admin('create_table', {
      table_id: 'Orders',
      columns: [
        { id: 'Item', type: 'Text' },
        { id: 'Customer', type: 'Ref:Customers' },
        { id: 'CustName', type: 'Any', formula: '$Customer.Name' },
        { id: 'CustEmail', type: 'Any', formula: '$Customer.Email' },
        { id: 'Receipt', type: 'Attachments' },
      ],
    });
    receiptId = (await upload(adminSession, 'receipt.txt', 'receipt bytes')).body.data.attachment_id;
    payslipId = (await upload(adminSession, 'payslip.txt', 'payslip bytes')).body.data.attachment_id;
    await admin('add_records', { table: 'Customers', records: [{ Name: 'Ann', City: 'Oslo', Email: 'secret@example.com' }] });
    await admin('add_records', { table: 'Salaries', records: [{ Person: 1, Amount: 98765, Payslip: ['L', payslipId] }] });
    await admin('add_records', { table: 'Orders', records: [{ Item: 'Pen', Customer: 1, Receipt: ['L', receiptId] }] });
  });
  afterAll(async () => {
    await gw?.close();
    await rest?.close();
  });

  /** The three entry points for the orders-agent (MCP with its own token, proxy and tRPC with a session). */
  async function entryPoints(): Promise<[string, Caller][]> {
    const token = (await session(ORDERS)).token!;
    return [
      ['mcp', await mcpCaller(gw, ORDERS, 'sales')],
      ['proxy', proxyCaller(gw, token)],
      ['trpc', trpcCaller(gw, token)],
    ];
  }

  function expectNoHidden(text: string, where: string): void {
    for (const name of HIDDEN) expect(text, `${where} leaked ${name}`).not.toContain(name);
  }

  describe('an agent scoped to Orders: "*" and Customers: [Name, City]', () => {
    it('sees exactly those tables and columns on every entry point', async () => {
      for (const [entry, call] of await entryPoints()) {
        const tables = await call('list_tables', {});
        expect(tables.data, entry).toEqual({ tables: ['Customers', 'Orders'] });
        const customers = await call('describe_table', { table: 'Customers' });
        expect(customers.data.columns.map((c: { id: string }) => c.id), entry).toEqual(['Name', 'City']);
        const orders = await call('describe_table', { table: 'Orders' });
        // CustEmail reads a hidden column: hidden under "*"; CustName reads a visible one: shown.
        expect(orders.data.columns.map((c: { id: string }) => c.id), entry).toEqual(['Item', 'Customer', 'CustName', 'Receipt']);
        const rows = await call('get_records', { table: 'Customers' });
        expect(rows.data.records, entry).toEqual([{ id: 1, Name: 'Ann', City: 'Oslo' }]);
        for (const outcome of [tables, customers, orders, rows]) expectNoHidden(outcome.text, entry);
        await call.close();
      }
    });

    it('gets the same answer for a hidden table as for one that does not exist, naming neither', async () => {
      for (const [entry, call] of await entryPoints()) {
        const hidden = await call('get_records', { table: 'Salaries' });
        const missing = await call('get_records', { table: 'Nothing' });
        expect(hidden.ok, entry).toBe(false);
        expect(hidden.code, entry).toBe('NOT_FOUND');
        expect(hidden.message!.replaceAll('Salaries', 'X'), entry).toBe(missing.message!.replaceAll('Nothing', 'X'));
        expect(hidden.details ?? null, entry).toEqual(missing.details ? { ...missing.details, table: 'Salaries' } : null);
        expectNoHidden(hidden.text.replaceAll('Salaries', ''), entry);
        const described = await call('describe_table', { table: 'Salaries' });
        expect(described.code, entry).toBe('NOT_FOUND');
        await call.close();
      }
    });

    it('refuses hidden columns in filter, sort and writes with UNAUTHORIZED naming only what was sent', async () => {
      for (const [entry, call] of await entryPoints()) {
        const filter = await call('get_records', { table: 'Customers', filter: { Email: 'secret@example.com' } });
        expect([filter.code, filter.message], entry).toEqual(['UNAUTHORIZED', expect.stringContaining('"Email"')]);
        const sort = await call('get_records', { table: 'Customers', sort: '-Email' });
        expect(sort.code, entry).toBe('UNAUTHORIZED');
        const add = await call('add_records', { table: 'Customers', records: [{ Name: 'Bo', Email: 'x@y' }] });
        expect(add.code, entry).toBe('UNAUTHORIZED');
        const update = await call('update_records', { table: 'Customers', records: [{ id: 1, fields: { Email: 'x@y' } }] });
        expect(update.code, entry).toBe('UNAUTHORIZED');
        const upsert = await call('add_or_update_records', { table: 'Customers', records: [{ require: { Email: 'secret@example.com' }, fields: { City: 'Rome' } }] });
        expect(upsert.code, entry).toBe('UNAUTHORIZED');
        const hiddenTable = await call('add_records', { table: 'Salaries', records: [{ Amount: 1 }] });
        expect(hiddenTable.code, entry).toBe('UNAUTHORIZED');
        // Only what the caller sent may be named: strip it, and nothing hidden may remain.
        for (const o of [filter, sort, add, update, upsert]) expectNoHidden(o.text.replaceAll('Email', '').replaceAll('secret@example.com', ''), entry);
        await call.close();
      }
      const after = await admin('get_records', { table: 'Customers' });
      expect(after.data.records).toEqual([{ id: 1, Name: 'Ann', City: 'Oslo', Email: 'secret@example.com' }]);
    });

    it('writes visible columns, deletes only in whole tables, and changes schema only there', async () => {
      const [, proxy] = (await entryPoints())[1]!;
      const added = await proxy('add_records', { table: 'Customers', records: [{ Name: 'Cy', City: 'Rome' }] });
      expect(added.ok, added.text).toBe(true);
      const del = await proxy('delete_records', { table: 'Customers', record_ids: added.data.record_ids });
      expect(del.code).toBe('UNAUTHORIZED');
      expect(del.message).toContain('whole table');
      expect((await proxy('add_column', { table: 'Customers', column_id: 'Phone', column_type: 'Text' })).code).toBe('UNAUTHORIZED');
      expect((await proxy('create_table', { table_id: 'New', columns: [{ id: 'A', type: 'Text' }] })).code).toBe('UNAUTHORIZED');
      const column = await proxy('add_column', { table: 'Orders', column_id: 'Note', column_type: 'Text' });
      expect(column.ok, column.text).toBe(true);
      expect((await proxy('delete_column', { table: 'Orders', column_id: 'Note' })).ok).toBe(true);
      expect((await proxy('delete_column', { table: 'Orders', column_id: 'CustEmail' })).code).toBe('UNAUTHORIZED');
      const order = await proxy('add_records', { table: 'Orders', records: [{ Item: 'Tmp' }] });
      expect((await proxy('delete_records', { table: 'Orders', record_ids: order.data.record_ids })).ok).toBe(true);
    });

    it('runs sql_query only when the statement provably reads visible columns', async () => {
      for (const [entry, call] of await entryPoints()) {
        const ok = await call('sql_query', { query: 'SELECT c.Name, o.Item FROM Orders o JOIN Customers c ON c.id = o.Customer' });
        if (kind === 'http') {
          // On a Grist server the gateway cannot prove what a statement reads: refused, and over MCP not even listed.
          expect(ok.code, entry).toBe(entry === 'mcp' ? 'NO_TOOL' : 'UNAUTHORIZED');
          if (entry !== 'mcp') expect(ok.message).toContain('Grist server');
          await call.close();
          continue;
        }
        expect(ok.ok, `${entry}: ${ok.text}`).toBe(true);
        expect(ok.data.records).toEqual([{ Name: 'Ann', Item: 'Pen' }]);
        for (const query of [
          'SELECT * FROM Customers',
          'SELECT Email FROM Customers',
          'SELECT Name FROM Customers WHERE Email LIKE \'%secret%\'',
          'WITH x AS (SELECT Amount FROM Salaries) SELECT count(*) FROM x',
          'SELECT (SELECT max(Amount) FROM Salaries) AS m',
          'SELECT name FROM sqlite_master',
          "SELECT * FROM pragma_table_info('Salaries')",
          'SELECT value FROM Customers, json_each(Customers.Email)',
          'SELECT colId FROM _grist_Tables_column',
          'SELECT CustEmail FROM Orders',
        ]) {
          const refused = await call('sql_query', { query });
          expect(refused.code, `${entry}: ${query}`).toBe('UNAUTHORIZED');
          expectNoHidden(refused.text.replace(query, '').replace(JSON.stringify(query).slice(1, -1), ''), `${entry}: ${query}`);
        }
        await call.close();
      }
    });

    it('reaches attachments only through visible cells', async () => {
      const token = (await session(ORDERS)).token!;
      expect(await download(token, receiptId)).toEqual({ status: 200, text: 'receipt bytes' });
      const hidden = await download(token, payslipId);
      const missing = await download(token, 9999);
      expect(hidden.status).toBe(404);
      expect(JSON.parse(hidden.text).error.replace(String(payslipId), 'N')).toBe(JSON.parse(missing.text).error.replace('9999', 'N'));
      // Copying a hidden attachment into a visible cell would make it downloadable: refused.
      const copy = await proxyCaller(gw, token)('update_records', { table: 'Orders', records: [{ id: 1, fields: { Receipt: ['L', receiptId, payslipId] } }] });
      expect(copy.code).toBe('UNAUTHORIZED');
      expect(await download(token, payslipId)).toMatchObject({ status: 404 });
      const uploaded = await upload(token, 'mine.txt', 'mine');
      expect(uploaded.status).toBe(200);
      const reader = (await gw.proxy(READER, { method: 'request_session_token', document: 'sales', permissions: ['read'] })).body.data.token;
      expect((await download(reader, receiptId)).status).toBe(404);
    });
  });

  describe('session tokens narrow the scope and never widen it', () => {
    it('reports its scope, and a narrower one sees less', async () => {
      const own = await session(ORDERS);
      expect(own.body.data.tables).toEqual({ Orders: '*', Customers: ['Name', 'City'] });
      const narrow = await session(ORDERS, { tables: { Customers: ['Name'] } });
      expect(narrow.body.data.tables).toEqual({ Customers: ['Name'] });
      for (const call of [proxyCaller(gw, narrow.token!), trpcCaller(gw, narrow.token!)]) {
        expect((await call('list_tables', {})).data).toEqual({ tables: ['Customers'] });
        const records = (await call('get_records', { table: 'Customers' })).data.records as Record<string, unknown>[];
        expect(records[0]).toEqual({ id: 1, Name: 'Ann' });
        for (const record of records) expect(Object.keys(record).sort()).toEqual(['Name', 'id']);
        expect((await call('get_records', { table: 'Orders' })).code).toBe('NOT_FOUND');
      }
    });

    it('refuses anything wider than the agent holds', async () => {
      for (const tables of [{ Salaries: '*' }, { Customers: '*' }, { Customers: ['Email'] }, { Customers: ['Name', 'Email'] }]) {
        const res = await session(ORDERS, { tables });
        expect(res.ok, JSON.stringify(tables)).toBe(false);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
      const empty = await session(ORDERS, { tables: {} });
      expect(empty.body.code).toBe('INVALID_REQUEST');
      // A whole-document agent may hand out a narrower token.
      const fromAdmin = await session(ADMIN, { tables: { Orders: ['Item'] } });
      expect((await proxyCaller(gw, fromAdmin.token!)('get_records', { table: 'Orders' })).data.records).toEqual([{ id: 1, Item: 'Pen' }]);
    });

    it('lists only the tools the agent can use over MCP', async () => {
      const call = await mcpCaller(gw, READER, 'sales');
      expect(call.tools).toContain('get_records');
      expect(call.tools!.includes('sql_query')).toBe(kind === 'embedded');
      expect(call.tools).not.toContain('create_table');
      await call.close();
      const orders = await mcpCaller(gw, ORDERS, 'sales');
      expect(orders.tools).not.toContain('create_table');
      expect(orders.tools).toContain('delete_records');
      expect(orders.descriptions!.get_records).toContain('only some tables and columns');
      const docs = await orders('list_documents', {});
      expect(docs.data.documents).toEqual([{ name: 'sales', permissions: ['read', 'write', 'schema'], tables: { Orders: '*', Customers: ['Name', 'City'] } }]);
      await orders.close();
    });
  });

}

for (const kind of ['embedded', 'http'] as const) describe(`${kind} document`, () => scopeSuite(kind));
