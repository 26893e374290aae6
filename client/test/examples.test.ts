/**
 * The README's example scripts run as real processes against a live gateway on loopback:
 * `scripts/examples/import-csv.ts` (tsx) and `scripts/examples/proxy.py` (python3, standard library).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from '../../server/test/helpers/gateway.js';
import { parseCsv } from '../../scripts/examples/csv.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const examples = path.join(root, 'scripts/examples');
const tsx = path.join(root, 'node_modules/.bin/tsx');

let gw: TestGateway;
let session: string;

/** Runs a process asynchronously (the gateway serves from this same process, so no sync spawn). */
function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  gw = await startTestGateway();
  session = await gw.session(tokens.admin, ['read', 'write', 'schema']);
});
afterAll(async () => {
  await gw?.close();
});

describe('parseCsv', () => {
  it('reads quotes, escaped quotes, separators and line breaks inside quotes, CRLF', () => {
    expect(parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\n"two\nlines",\n\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['two\nlines', ''],
    ]);
    expect(() => parseCsv('a\n"open')).toThrow(/closing " is missing/);
  });
});

describe('import-csv.ts', () => {
  it('creates the table, imports every row with a progress bar, then appends to the existing table', async () => {
    const csv = path.join(examples, 'products.csv');
    const rows = parseCsv(fs.readFileSync(csv, 'utf8')).length - 1;
    const first = await run(tsx, [path.join(examples, 'import-csv.ts'), csv, 'Products'], { SESSION: session, GATEWAY_URL: gw.url, CHUNK_SIZE: '5' });
    expect(first.stderr).toContain('Created table "Products" (Name: Text, Category: Text, Price: Numeric, InStock: Bool)');
    // Progress: 0, then after each chunk of 5 (stderr is not a TTY here: one line per update).
    expect(first.stderr).toContain(`[${'-'.repeat(30)}]   0% 0/${rows} rows`);
    expect(first.stderr).toContain(`[${'#'.repeat(30)}] 100% ${rows}/${rows} rows`);
    expect(first.stderr.match(/rows$/gm)).toHaveLength(1 + Math.ceil(rows / 5));
    expect(first.stdout).toContain(`Imported ${rows} records into Products`);
    expect(first.code).toBe(0);

    const again = await run(tsx, [path.join(examples, 'import-csv.ts'), csv, 'Products'], { SESSION: session, GATEWAY_URL: gw.url });
    expect(again.code).toBe(0);
    const res = await gw.proxy(session, { method: 'get_records', table: 'Products', filter: { Name: ['Chair, ergonomic', 'Cable tray\n(under desk)'] } });
    expect(res.body.data.records).toHaveLength(4);
    expect(res.body.data.records[0]).toMatchObject({ Name: 'Chair, ergonomic', Price: 189, InStock: true });
  });

  it('refuses a CSV whose columns the table lacks, naming them', async () => {
    const bad = path.join(gw.dir, 'bad.csv');
    fs.writeFileSync(bad, 'Name,Colour\nPen,blue\n');
    const out = await run(tsx, [path.join(examples, 'import-csv.ts'), bad, 'Products'], { SESSION: session, GATEWAY_URL: gw.url });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('Table "Products" has no column "Colour"');
  });
});

describe('proxy.py', () => {
  it('lists tables, adds records and pages through the table with next_cursor', async () => {
    const before = await gw.proxy(session, { method: 'get_records', table: 'Products' });
    const count = before.body.data.records.length as number;
    const out = await run('python3', [path.join(examples, 'proxy.py'), 'Products'], { SESSION: session, PROXY_URL: `${gw.url}/api/v1/proxy`, PAGE_SIZE: '4' });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^Tables: .*Products/m);
    expect(out.stdout).toMatch(/^Added row ids: \[\d+, \d+, \d+\]$/m);
    expect(out.stdout).toContain(`Read ${count + 3} records from Products in pages of 4`);
    const lines = out.stdout.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.map((l) => (JSON.parse(l) as { id: number }).id)).toEqual([...Array(count + 3).keys()].map((i) => i + 1));
  });

  it('reports the stable code of a failed call', async () => {
    const out = await run('python3', [path.join(examples, 'proxy.py'), 'NoSuchTable'], { SESSION: session, PROXY_URL: `${gw.url}/api/v1/proxy` });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^NOT_FOUND: .*NoSuchTable/m);
  });
});
