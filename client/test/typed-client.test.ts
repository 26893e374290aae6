/**
 * Schema types and attachments against a live gateway on loopback (real HTTP, embedded document seeded
 * with the demo data): `GET /api/v1/types.ts` and its permissions, the `types` command of the server CLI
 * (a real process), a client typed by the generated schema making real calls, the attachment methods,
 * and the error of a gateway that cannot be reached.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoDocument } from '../../server/src/demo/seed.js';
import { startTestGateway, tokens, type TestGateway } from '../../server/test/helpers/gateway.js';
import { createGatewayClient, fetchSchemaTypes, GatewayClientError, iterateRecords, upsertRecords, type GatewaySchema } from '../src/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let gw: TestGateway;
let reader: string;

/** GET with a bearer token; status, content type and text. */
async function get(pathname: string, token?: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(gw.url + pathname, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

beforeAll(async () => {
  gw = await startTestGateway();
  await seedDemoDocument(gw.gateway.services.backends.get('main'));
  const admin = await gw.session(tokens.admin, ['read', 'write', 'schema']);
  // A formula column, so the schema has a read-only column whatever the demo holds.
  const res = await gw.proxy(admin, { method: 'add_column', table: 'Orders', column_id: 'Doubled', column_type: 'Int', formula: '$Qty * 2' });
  expect(res.status).toBe(200);
  reader = await gw.session(tokens.admin, ['read']);
});
afterAll(async () => {
  await gw?.close();
});

describe('GET /api/v1/types.ts', () => {
  it('answers the schema module of the token\'s document', async () => {
    const res = await get('/api/v1/types.ts', reader);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain/);
    expect(res.text).toContain('Types of the Grist document "main"');
    expect(res.text).toContain('export type Schema = {');
    expect(res.text).toMatch(/Products: \{\n {4}columns: \{[^]*?Category: "Hardware" \| "Software" \| "Service";[^]*?Price: number;[^]*?InStock: boolean;/);
    expect(res.text).toMatch(/\* Customer since\n\s+\* Grist type Date: seconds since the epoch \(UTC midnight\)\.\n\s+\*\/\n\s+Since: number;/);
    expect(res.text).toMatch(/Customer: number;[^]*?readonly Doubled: number;[^]*?formulas: (?:"[A-Za-z]+" \| )*"Doubled";/);
  });

  it('takes an agent token with ?document=, the type name and open choices', async () => {
    const viaAgent = await get('/api/v1/types.ts?document=main', tokens.reader);
    expect(viaAgent.status).toBe(200);
    expect(viaAgent.text).toBe((await get('/api/v1/types.ts', reader)).text);
    const named = await get('/api/v1/types.ts?document=main&name=DemoSchema&open_choices=true', tokens.admin);
    expect(named.text).toContain('export type DemoSchema = {');
    expect(named.text).toContain('Status: "new" | "shipped" | "cancelled" | (string & {});');
  });

  it('accepts a schema-only token, refuses the rest with the gateway\'s codes', async () => {
    const schemaOnly = await gw.session(tokens.admin, ['schema']);
    expect((await get('/api/v1/types.ts', schemaOnly)).status).toBe(200);
    const writeOnly = await gw.session(tokens.admin, ['write']);
    const cases: [string, string | undefined, number, string, RegExp][] = [
      ['/api/v1/types.ts', writeOnly, 403, 'UNAUTHORIZED', /Permission 'read' or 'schema' required for types.ts on document "main"/],
      ['/api/v1/types.ts?document=main', tokens.writer, 403, 'UNAUTHORIZED', /'read' or 'schema'/],
      ['/api/v1/types.ts', tokens.admin, 400, 'INVALID_REQUEST', /Missing query parameter: document/],
      ['/api/v1/types.ts?document=other', tokens.reader, 403, 'UNAUTHORIZED', /not in this agent's scope/],
      ['/api/v1/types.ts?document=other', reader, 403, 'UNAUTHORIZED', /bound to document "main"/],
      ['/api/v1/types.ts?name=bad-name', reader, 400, 'INVALID_REQUEST', /name: "bad-name" is not a TypeScript identifier/],
      ['/api/v1/types.ts?open_choices=yes', reader, 400, 'INVALID_REQUEST', /open_choices: expected true or false/],
      ['/api/v1/types.ts', undefined, 401, 'INVALID_TOKEN', /Missing token/],
      ['/api/v1/types.ts', 'sess_unknown', 401, 'INVALID_TOKEN', /./],
    ];
    for (const [pathname, token, status, code, message] of cases) {
      const res = await get(pathname, token);
      expect({ pathname, status: res.status }).toEqual({ pathname, status });
      const body = JSON.parse(res.text) as { success: boolean; code: string; error: string };
      expect(body).toMatchObject({ success: false, code });
      expect(body.error).toMatch(message);
    }
  });
});

describe('the types command', () => {
  /** Runs the server CLI as a real process. */
  function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [path.join(root, 'server/bin/grist-gateway.js'), ...args], { cwd: gw.dir, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  }

  it('writes the same module as the endpoint, and reports errors with their code', { timeout: 90_000 }, async () => {
    const out = path.join(gw.dir, 'types', 'schema.ts');
    const ok = await cli(['types', '--url', gw.url, '--token', tokens.admin, '--document', 'main', '--out', out]);
    expect(ok.stderr).toContain(`Wrote the types of document "main" to ${out}`);
    expect(ok.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe((await get('/api/v1/types.ts', reader)).text);

    // The token from the environment, the module on stdout.
    const stdout = await cli(['types', '--url', gw.url], { GRIST_GATEWAY_TOKEN: reader });
    expect(stdout.code).toBe(0);
    expect(stdout.stdout).toBe(fs.readFileSync(out, 'utf8'));

    const refused = await cli(['types', '--url', gw.url, '--token', tokens.writer, '--document', 'main']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^grist-gateway types: UNAUTHORIZED: Permission 'read' or 'schema' required/);
    const missing = await cli(['types', '--token', reader], { GRIST_GATEWAY_URL: '' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('missing --url (or GRIST_GATEWAY_URL)');
  });
});

describe('a client typed by the generated schema, at run time', () => {
  /** The shape of the demo schema the endpoint generates (written out: this file is compiled before the test runs). */
  type Demo = {
    Products: { columns: { Name: string; Category: 'Hardware' | 'Software' | 'Service'; Price: number; InStock: boolean }; formulas: never };
    Orders: { columns: { Customer: number; Product: number; Qty: number; Status: 'new' | 'shipped' | 'cancelled'; readonly Doubled: number }; formulas: 'Doubled' };
  };

  it('reads and writes like the untyped client', async () => {
    expect(await fetchSchemaTypes({ url: gw.url, token: reader })).toBe((await get('/api/v1/types.ts', reader)).text);
    const session = await gw.session(tokens.admin, ['read', 'write']);
    const gg = createGatewayClient<Demo>({ url: gw.url, token: session });
    const { records } = await gg.get_records.query({ table: 'Products', filter: { Category: ['Hardware'] }, sort: ['-Price'] });
    expect(records.map((r) => [r.Name, r.Price])).toEqual([['Mechanical keyboard', 129], ['USB-C dock', 89.5]]);
    const { record_ids } = await gg.add_records.mutate({ table: 'Orders', records: [{ Customer: 1, Product: 2, Qty: 4, Status: 'new' }] });
    const added = await gg.get_records.query({ table: 'Orders', filter: { id: record_ids } });
    expect(added.records[0]).toMatchObject({ id: record_ids[0], Qty: 4, Status: 'new' });
    const upserted = await upsertRecords(gg, 'Products', [{ require: { Name: 'Pen' }, fields: { Price: 2, Category: 'Hardware' } }]);
    expect(upserted.added).toHaveLength(1);
    const names: string[] = [];
    for await (const product of iterateRecords(gg, 'Products', { sort: 'Name', pageSize: 2 })) names.push(product.Name);
    expect(names).toEqual(['Mechanical keyboard', 'Onboarding workshop', 'Pen', 'Spreadsheet license', 'USB-C dock']);
    // The gateway still refuses a formula write made past the types (here through a cast).
    const sneaky = await gg.update_records
      .mutate({ table: 'Orders', records: [{ id: record_ids[0]!, fields: { Doubled: 1 } as never }] })
      .catch((err: unknown) => err);
    expect(sneaky).toBeInstanceOf(GatewayClientError);
  });

  it('is the same object as an untyped client: a schema is types only', () => {
    const typed = createGatewayClient<GatewaySchema>({ url: gw.url, token: reader });
    expect(typeof typed.get_records.query).toBe('function');
    expect(typeof typed.uploadAttachment).toBe('function');
  });
});

describe('attachments through the client', () => {
  it('uploads a Buffer, a Blob and a File, and downloads them byte for byte', async () => {
    const session = await gw.session(tokens.admin, ['read', 'write']);
    const gg = createGatewayClient({ url: gw.url, token: session });
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 255, 10, 13]);
    const fromBuffer = await gg.uploadAttachment(bytes, 'raw.bin');
    const fromBlob = await gg.uploadAttachment(new Blob(['héllo'], { type: 'text/plain' }), 'note.txt');
    const fromFile = await gg.uploadAttachment(new File(['{"a":1}'], 'données.json', { type: 'application/json' }));
    expect(new Set([fromBuffer, fromBlob, fromFile]).size).toBe(3);

    const raw = await gg.downloadAttachment(fromBuffer);
    expect(raw).toMatchObject({ fileName: 'raw.bin', size: bytes.length });
    expect(Buffer.from(await raw.bytes())).toEqual(bytes);
    const file = await gg.downloadAttachment(fromFile);
    expect(file.fileName).toBe('données.json');
    // Streamed: read the body chunk by chunk.
    const chunks: Uint8Array[] = [];
    for await (const chunk of file.body) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString('utf8')).toBe('{"a":1}');
    expect(new TextDecoder().decode(await (await gg.downloadAttachment(fromBlob)).bytes())).toBe('héllo');

    // The attachment ids go into an Attachments column.
    const admin = createGatewayClient({ url: gw.url, token: await gw.session(tokens.admin, ['read', 'write', 'schema']) });
    await admin.create_table.mutate({ table_id: 'Files', columns: [{ id: 'Doc', type: 'Attachments' }] });
    const { record_ids } = await admin.add_records.mutate({ table: 'Files', records: [{ Doc: ['L', fromBuffer, fromFile] }] });
    const { records } = await admin.get_records.query({ table: 'Files', filter: { id: record_ids } });
    expect(records[0]?.Doc).toEqual(['L', fromBuffer, fromFile]);
  });

  it('rejects with the typed errors', async () => {
    const readOnly = createGatewayClient({ url: gw.url, token: reader });
    const denied = await readOnly.uploadAttachment(Buffer.from('x'), 'x.txt').catch((err: unknown) => err);
    expect(denied).toBeInstanceOf(GatewayClientError);
    expect(denied).toMatchObject({ code: 'UNAUTHORIZED' });
    const missing = await readOnly.downloadAttachment(999_999).catch((err: unknown) => err);
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });
    const agent = createGatewayClient({ url: gw.url, token: tokens.admin });
    expect(await agent.downloadAttachment(1).catch((err: unknown) => err)).toMatchObject({ code: 'INVALID_TOKEN' });
    await expect(readOnly.uploadAttachment(new Blob(['x']))).rejects.toThrow(/give a filename/);
    await expect(readOnly.downloadAttachment(0)).rejects.toThrow(RangeError);
  });
});

describe('a gateway that cannot be reached', () => {
  it('fails with UNAVAILABLE naming the URL and the cause', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as net.AddressInfo;
        server.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const gg = createGatewayClient({ url, token: 'sess_x' });
    const err = await gg.list_tables.query({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayClientError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE' });
    expect((err as Error).message).toBe(`UNAVAILABLE: cannot reach ${url}/trpc: connect ECONNREFUSED 127.0.0.1:${port}`);
    const upload = await gg.uploadAttachment(Buffer.from('x'), 'x').catch((e: unknown) => e);
    expect(upload).toMatchObject({ code: 'UNAVAILABLE', message: `UNAVAILABLE: cannot reach ${url}/api/v1/attachments: connect ECONNREFUSED 127.0.0.1:${port}` });
    await expect(fetchSchemaTypes({ url, token: 'sess_x' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
