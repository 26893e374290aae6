/** Start-up warnings for table/column scopes that name tables or columns a document does not have. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopeWarnings } from '../src/auth/scope-warnings.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { proxyCaller } from './helpers/entry-points.js';

const ADMIN = 'gga_warn_admin_token_0123456789abcdef';
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway(
    {},
    `documents:
  sales: {engine: embedded, path: ./data/sales.grist}
tokens:
  - token: ${ADMIN}
    name: admin
    scope: [{document: sales, permissions: [read, write, schema]}]
  - token: gga_warn_scoped_token_0123456789abcdef
    name: scoped
    scope:
      - document: sales
        permissions: [read]
        tables: {Orders: "*", Orderz: "*", Customers: [Name, Phone]}
`,
  );
  const session = (await gw.proxy(ADMIN, { method: 'request_session_token', document: 'sales', permissions: ['schema'] })).body.data.token;
  const admin = proxyCaller(gw, session);
  await admin('create_table', { table_id: 'Orders', columns: [{ id: 'Item', type: 'Text' }] });
  await admin('create_table', { table_id: 'Customers', columns: [{ id: 'Name', type: 'Text' }] });
});
afterAll(async () => {
  await gw?.close();
});

describe('scopeWarnings', () => {
  it('names every unknown table and column, with what exists', async () => {
    const warnings = await scopeWarnings(gw.gateway.services.agents.list(), gw.gateway.services.backends);
    expect(warnings).toEqual([
      'token "scoped", document "sales": table "Orderz" does not exist (tables: Table1, Orders, Customers)',
      'token "scoped", document "sales": table "Customers" has no column "Phone" (columns: Name)',
    ]);
  });
});
