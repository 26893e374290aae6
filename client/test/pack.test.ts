/**
 * The published package, end to end, as a script author gets it: plain `npm pack` in client/ (its
 * `prepack` builds), the tarball installed into a throw-away project outside the repository (dependencies
 * from the npm registry), then, with only that package:
 *
 * - `npx @grist-gateway/client types` generates the schema of the demo document from a live gateway;
 * - `tsc --strict` accepts the README's typed example and refuses a misspelled table, a misspelled column,
 *   a string written to a Numeric column and a write to a formula column;
 * - the example runs with plain node against the gateway; `import` and `require` both load the package,
 *   and a CommonJS script makes a real call.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoDocument } from '../../server/src/demo/seed.js';
import { startTestGateway, tokens, type TestGateway } from '../../server/test/helpers/gateway.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const clientDir = path.join(root, 'client');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');

/** Runs a process asynchronously (the gateway serves from this same process). */
function exec(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Like {@link exec}, rejecting with the output when the process fails. */
async function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const result = await exec(cmd, args, cwd, env);
  if (result.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Module specifiers a JS or d.ts file imports or requires. */
function importsOf(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s*["']([^"']+)["']|\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
    found.add((m[1] ?? m[2] ?? m[3] ?? m[4])!);
  }
  return [...found].sort();
}

/** The first ```ts block under the "Types down to the columns" heading of client/README.md. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(clientDir, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Types down to the columns'));
  const block = /```ts\n([^]*?)```/.exec(section);
  if (!block?.[1]) throw new Error('client/README.md has no ts example under "## Types down to the columns"');
  return block[1];
}

const strictConfig = (files: string[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      // ESNext.Disposable: tRPC's own declarations use Disposable / AsyncDisposable.
      lib: ['ES2023', 'ESNext.Disposable', 'DOM', 'DOM.Iterable'],
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      // The package's bundled declarations are checked too, not skipped.
      skipLibCheck: false,
      outDir: 'out',
      ...extra,
    },
    files,
  });

let gw: TestGateway;
let work: string;
let formulaColumn: { table: string; column: string };

beforeAll(async () => {
  gw = await startTestGateway();
  await seedDemoDocument(gw.gateway.services.backends.get('main'));
  const admin = await gw.session(tokens.admin, ['read', 'write', 'schema']);
  const described = await gw.proxy(admin, { method: 'describe_table', table: 'Orders' });
  const existing = (described.body.data.columns as { id: string; isFormula: boolean; formula: string }[]).find((c) => c.isFormula && c.formula !== '');
  if (existing) {
    formulaColumn = { table: 'Orders', column: existing.id };
  } else {
    // The demo may not have a formula column yet: give it one.
    const added = await gw.proxy(admin, { method: 'add_column', table: 'Orders', column_id: 'Doubled', column_type: 'Int', formula: '$Qty * 2' });
    formulaColumn = { table: 'Orders', column: added.body.data.column_id as string };
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-client-consumer-'));
});
afterAll(async () => {
  await gw?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed client', () => {
  it('packs with plain npm pack, installs outside the repo, generates types, type-checks strictly and runs', { timeout: 600_000 }, async () => {
    fs.rmSync(path.join(clientDir, 'dist'), { recursive: true, force: true });
    await run('npm', ['pack', '--pack-destination', work], clientDir);
    const tarballs = fs.readdirSync(work).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toEqual(['grist-gateway-client-0.1.0.tgz']);
    const tarball = path.join(work, tarballs[0]!);
    const listed = (await run('tar', ['-tzf', tarball], work)).trim().split('\n').sort();
    expect(listed).toEqual(['package/README.md', 'package/dist/cli.js', 'package/dist/index.cjs', 'package/dist/index.d.cts', 'package/dist/index.d.ts', 'package/dist/index.js', 'package/package.json']);

    // The built code imports only the package's runtime dependencies: no server, shared or relative files.
    expect(importsOf(fs.readFileSync(path.join(clientDir, 'dist/index.js'), 'utf8'))).toEqual(['@trpc/client', '@trpc/server/observable', 'superjson']);
    expect(importsOf(fs.readFileSync(path.join(clientDir, 'dist/index.cjs'), 'utf8'))).toEqual(['@trpc/client', '@trpc/server/observable', 'superjson']);
    expect(importsOf(fs.readFileSync(path.join(clientDir, 'dist/cli.js'), 'utf8'))).toEqual(['node:fs/promises', 'node:path', 'node:util']);
    for (const dts of ['dist/index.d.ts', 'dist/index.d.cts']) {
      expect(importsOf(fs.readFileSync(path.join(clientDir, dts), 'utf8'))).toEqual(['@trpc/client', '@trpc/server']);
    }

    const project = path.join(work, 'consumer');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball, '@types/node@^20.19.0'], project);
    const installed = JSON.parse(fs.readFileSync(path.join(project, 'node_modules/@grist-gateway/client/package.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(installed.dependencies as object).sort()).toEqual(['@trpc/client', '@trpc/server', 'superjson']);

    // 1. The client's own bin writes the demo document's schema.
    const reader = await gw.session(tokens.admin, ['read']);
    const generated = await exec('npx', ['--no-install', '@grist-gateway/client', 'types', '--url', gw.url, '--token', reader, '--out', 'schema.ts'], project);
    expect(generated.stderr).toContain('Wrote the types of the document to');
    expect(generated.code).toBe(0);
    const schema = fs.readFileSync(path.join(project, 'schema.ts'), 'utf8');
    expect(schema).toContain(`readonly ${formulaColumn.column}: number;`);

    // 2. The README's example compiles with --strict against it (and a CommonJS script, typed through
    //    the package's `require` condition)...
    fs.writeFileSync(path.join(project, 'orders.ts'), readmeExample());
    fs.writeFileSync(
      path.join(project, 'load.cts'),
      [
        "import { createGatewayClient, GatewayClientError } from '@grist-gateway/client';",
        'const gg = createGatewayClient({ url: process.env.GATEWAY_URL!, token: process.env.SESSION! });',
        'void gg.list_tables.query({}).then(async ({ tables }) => {',
        "  const err = await gg.get_records.query({ table: 'Nope' }).catch((e: unknown) => e);",
        '  console.log(JSON.stringify({ tables: tables.sort(), code: err instanceof GatewayClientError ? err.code : String(err) }));',
        '});',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(project, 'tsconfig.json'), strictConfig(['orders.ts', 'load.cts']));
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);

    // 3. ...and each mistake is refused.
    const mistakes: [name: string, code: string, expected: RegExp][] = [
      ['misspelled table', "await gg.get_records.query({ table: 'Prodcts' });", /'"Prodcts"' is not assignable to type 'TableName<Schema>'/],
      ['misspelled column', "await gg.add_records.mutate({ table: 'Products', records: [{ Prise: 12 }] });", /'Prise' does not exist in type 'TableFields<Schema, "Products">'/],
      ['string in a Numeric column', "await gg.add_records.mutate({ table: 'Products', records: [{ Price: '12' }] });", /Type 'string' is not assignable to type 'number'/],
      [
        'write to a formula column',
        `await gg.update_records.mutate({ table: '${formulaColumn.table}', records: [{ id: 1, fields: { ${formulaColumn.column}: 2 } }] });`,
        new RegExp(`'${formulaColumn.column}' does not exist in type 'TableFields<Schema, "${formulaColumn.table}">'`),
      ],
    ];
    const header = "import { createGatewayClient } from '@grist-gateway/client';\nimport type { Schema } from './schema.js';\nconst gg = createGatewayClient<Schema>({ url: 'http://127.0.0.1:3000', token: 'sess_x' });\n";
    fs.writeFileSync(path.join(project, 'mistakes.ts'), header + mistakes.map(([, code]) => code).join('\n') + '\nexport {};\n');
    fs.writeFileSync(path.join(project, 'tsconfig.mistakes.json'), strictConfig(['mistakes.ts'], { noEmit: true }));
    const refused = await exec(process.execPath, [tsc, '-p', 'tsconfig.mistakes.json'], project);
    expect(refused.code).not.toBe(0);
    const errors = refused.stdout.split('\n').filter((l) => l.includes('error TS'));
    expect(errors).toHaveLength(mistakes.length);
    mistakes.forEach(([name, , expected], i) => {
      expect({ name, error: errors[i] }).toMatchObject({ name, error: expect.stringMatching(expected) });
      expect(errors[i]).toContain(`mistakes.ts(${4 + i},`);
    });

    // 4. The example runs against the live gateway.
    const session = await gw.session(tokens.admin, ['read', 'write']);
    const out = await run(process.execPath, ['out/orders.js'], project, { GATEWAY_URL: gw.url, SESSION: session });
    expect(out.trim()).toBe('Mechanical keyboard ordered as #6; 5 items in new orders');

    // 5. import and require both load the package; the CommonJS script makes a real call.
    fs.writeFileSync(
      path.join(project, 'load.mjs'),
      "import * as esm from '@grist-gateway/client';\nconsole.log(typeof esm.createGatewayClient, typeof esm.GatewayClientError, typeof esm.generateSchemaModule);\n",
    );
    expect((await run(process.execPath, ['load.mjs'], project)).trim()).toBe('function function function');
    expect(fs.readFileSync(path.join(project, 'out/load.cjs'), 'utf8')).toContain('require("@grist-gateway/client")');
    const cjs = await exec(process.execPath, ['out/load.cjs'], project, { GATEWAY_URL: gw.url, SESSION: session });
    expect(cjs.stderr).toBe('');
    expect(JSON.parse(cjs.stdout)).toEqual({ tables: ['Customers', 'Orders', 'Products'], code: 'NOT_FOUND' });
  });
});
