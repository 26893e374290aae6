/**
 * The published package, end to end: build with tsdown, pack the tarball, install it into a throw-away
 * project outside the workspace (its dependencies come from the npm registry), type-check a consumer with
 * the repo's TypeScript (strict, with `@ts-expect-error` on wrong fields) and run it with plain node
 * against a live gateway on loopback. Also checks that the built JS imports no server or shared code.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from '../../server/test/helpers/gateway.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const clientDir = path.join(root, 'client');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');

/** Runs a process asynchronously (the gateway serves from this same process); rejects with its output. */
function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed (${String(err.code)}):\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Module specifiers a JS or d.ts file imports (static `import`/`export ... from`, dynamic `import()`). */
function importsOf(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s*["']([^"']+)["']/g)) {
    found.add((m[1] ?? m[2] ?? m[3])!);
  }
  return [...found].sort();
}

const consumer = `
import {
  addRecordsInChunks,
  createGatewayClient,
  GatewayClientError,
  iterateRecords,
  type GatewayOutputs,
} from '@grist-gateway/client';

const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
const gg = createGatewayClient({ url: env.GATEWAY_URL!, token: env.SESSION! });

await gg.create_table.mutate({ table_id: 'Packed', columns: [{ id: 'Item', type: 'Text' }, { id: 'Qty', type: 'Int' }] });
const progress: number[] = [];
const { record_ids } = await addRecordsInChunks(
  gg,
  'Packed',
  Array.from({ length: 7 }, (_, i) => ({ Item: 'item' + i, Qty: i })),
  { chunkSize: 3, concurrency: 1, onProgress: (p) => progress.push(p.done) },
);

// Inputs are checked: a misspelled field is a compile error.
// @ts-expect-error 'tabel' is not a field of get_records
void gg.get_records.query({ tabel: 'Packed' }).catch(() => undefined);
// @ts-expect-error 'qty' is not an option of addRecordsInChunks
void addRecordsInChunks(gg, 'Packed', [], { qty: 1 }).catch(() => undefined);
// Results are typed: record_ids are numbers, not strings.
// @ts-expect-error number[] is not string[]
const wrong: string[] = record_ids;
void wrong;

const page: GatewayOutputs['get_records'] = await gg.get_records.query({ table: 'Packed', sort: '-Qty', limit: 2 });
const items: string[] = [];
for await (const record of iterateRecords(gg, 'Packed', { pageSize: 2 })) items.push(String(record.Item));

let code: string | undefined;
try {
  await gg.describe_table.query({ table: 'Nope' });
} catch (err) {
  if (err instanceof GatewayClientError) code = err.code;
}
console.log(JSON.stringify({ record_ids, progress, first: page.records[0], next: page.next_cursor !== null, items, code }));
`;

let gw: TestGateway;
let work: string;

beforeAll(async () => {
  gw = await startTestGateway();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-client-consumer-'));
});
afterAll(async () => {
  await gw?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed client', () => {
  it('builds, packs, installs into an empty project, type-checks and runs against a live gateway', { timeout: 240_000 }, async () => {
    await run(path.join(root, 'node_modules/.bin/tsdown'), [], clientDir);

    // The built JS imports only the package's runtime dependencies: no server, no shared, no relative files.
    const js = fs.readFileSync(path.join(clientDir, 'dist/index.js'), 'utf8');
    expect(importsOf(js)).toEqual(['@trpc/client', '@trpc/server/observable', 'superjson']);
    expect(js).not.toMatch(/@grist-gateway\/(server|shared)|server\/src|shared\/src/);
    // The types are self-contained: the router type is inlined, only tRPC's types are imported.
    const dts = fs.readFileSync(path.join(clientDir, 'dist/index.d.ts'), 'utf8');
    expect(importsOf(dts)).toEqual(['@trpc/client', '@trpc/server']);
    expect(dts).toMatch(/add_or_update_records: TRPCMutationProcedure<\{/);

    const tarball = (await run(process.execPath, [path.join(clientDir, 'scripts/pack.mjs'), '--out', work], clientDir)).trim();
    expect(fs.existsSync(tarball)).toBe(true);

    const project = path.join(work, 'consumer');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], project);
    const installed = JSON.parse(fs.readFileSync(path.join(project, 'node_modules/@grist-gateway/client/package.json'), 'utf8')) as Record<string, unknown>;
    expect(installed.exports).toEqual({ '.': { types: './dist/index.d.ts', import: './dist/index.js' } });
    expect(Object.keys(installed.dependencies as object).sort()).toEqual(['@trpc/client', '@trpc/server', 'superjson']);

    fs.writeFileSync(path.join(project, 'consumer.ts'), consumer);
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          // ESNext.Disposable: tRPC's own declarations use Disposable / AsyncDisposable.
          lib: ['ES2023', 'ESNext.Disposable', 'DOM', 'DOM.Iterable'],
          types: [],
          strict: true,
          noUncheckedIndexedAccess: true,
          // Our bundled d.ts is checked too, not skipped.
          skipLibCheck: false,
          outDir: 'out',
        },
        files: ['consumer.ts'],
      }),
    );
    // Type-check and emit with the repo's TypeScript; an unused @ts-expect-error would fail here.
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);

    const session = await gw.session(tokens.admin, ['read', 'write', 'schema']);
    const out = await run(process.execPath, [path.join(project, 'out/consumer.js')], project, { GATEWAY_URL: gw.url, SESSION: session });
    const result = JSON.parse(out) as Record<string, unknown>;
    expect(result).toEqual({
      record_ids: [1, 2, 3, 4, 5, 6, 7],
      progress: [3, 6, 7],
      first: { id: 7, Item: 'item6', Qty: 6 },
      next: true,
      items: ['item0', 'item1', 'item2', 'item3', 'item4', 'item5', 'item6'],
      code: 'NOT_FOUND',
    });
  });
});
