/**
 * The published package, end to end, as a user gets it: plain `npm pack` in `server/` (the build runs on
 * `prepack`), the tarball installed with `npm install --global --prefix` into a throw-away prefix outside
 * the repository (dependencies from the npm registry; better-sqlite3 compiles, which can take minutes on a
 * busy machine), then the installed `grist-gateway` run the way MCP clients and operators run it:
 * `--version`, `serve` in an empty folder (creates the demo config, serves it, answers SQL through the
 * forked child process), and `mcp --config FILE` over stdio with a real MCP client.
 * Also checks what the tarball holds: compiled JavaScript and runtime assets only (no TypeScript sources,
 * no tests), dependencies that are exactly what the built code imports, and no tsx anywhere.
 */
import { execFile, spawn } from 'node:child_process';
import { builtinModules } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const serverDir = path.resolve(import.meta.dirname, '..');
const sourceManifest = JSON.parse(fs.readFileSync(path.join(serverDir, 'package.json'), 'utf8')) as { version: string };
/** One `npm install` attempt; it may compile better-sqlite3 (see BUILD_ENV), slow on a busy machine. */
const INSTALL_TIMEOUT_MS = 12 * 60_000;
/**
 * Where better-sqlite3 has no prebuilt binary to download (no GitHub access, an unusual platform), its install
 * compiles SQLite from source: minutes at its default -O3 on a busy 2-core machine. This test checks our
 * package, not SQLite's optimised build, so the compile runs unoptimised (later flags win over node-gyp's)
 * and in parallel (node-gyp reads JOBS); the binary behaves the same.
 */
const BUILD_ENV = { CFLAGS: '-O0', CXXFLAGS: '-O0', JOBS: 'max' };

/** The environment for child processes: no `npm_*` settings inherited from the `npm test` that runs us. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^npm_/i.test(key) && key !== 'INIT_CWD') env[key] = value;
  }
  // `#!/usr/bin/env node` in the bin finds the node running this test.
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${env.PATH ?? ''}`;
  return { ...env, ...extra };
}

/** Runs a process; resolves to its stdout, rejects with its output. */
function run(cmd: string, args: string[], cwd: string, timeout: number, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env: cleanEnv(env), timeout, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed (${String(err.code ?? err.signal)}):\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Bare module specifiers (package names) imported by a built JS file; relative and `node:` ones left out. */
function packagesImportedBy(code: string): string[] {
  const found = new Set<string>();
  // Statements at the start of a line (not example code inside strings) and dynamic imports of a literal.
  for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s*["']([^"']+)["']/g)) {
    const spec = (m[1] ?? m[2] ?? m[3])!;
    if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
    const parts = spec.split('/');
    found.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
  }
  return [...found];
}

/** Every file under `dir`, as `/`-separated paths relative to it. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((rel) => fs.statSync(path.join(dir, rel)).isFile())
    .map((rel) => rel.split(path.sep).join('/'));
}

let work: string;
let tarball: string;
let packed: string[] = [];
let prefix: string;
let installed: string;
let bin: string;
/** Set once the install succeeded: the tests that run the installed CLI need it. */
let installedOk = false;

beforeAll(() => {
  // Outside the repository, so that npm sees no workspace around the install.
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-server-pack-'));
  prefix = path.join(work, 'prefix');
  installed = path.join(prefix, 'lib/node_modules/grist-gateway');
  bin = path.join(prefix, 'bin/grist-gateway');
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed grist-gateway package', () => {
  it('plain npm pack builds and packs compiled JavaScript, runtime assets, the bin and the README only', { timeout: 180_000 }, async () => {
    const out = await run('npm', ['pack', '--json', '--pack-destination', work], serverDir, 180_000);
    // prepack's build output may precede the JSON on stdout.
    const [info] = JSON.parse(out.slice(out.indexOf('[\n'))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(work, info!.filename);
    packed = info!.files.map((f) => f.path).sort();
    expect(fs.existsSync(tarball)).toBe(true);

    expect(packed).toEqual(expect.arrayContaining(['package.json', 'README.md', 'bin/grist-gateway.js', 'dist/cli/main.js', 'dist/version.js', 'dist/engine/sql-child.js']));
    for (const file of packed) {
      expect(file, 'only the bin, the build, the manifest and the README').toMatch(/^(package\.json|README\.md|bin\/grist-gateway\.js|dist\/.+)$/);
      expect(file, 'no TypeScript sources').not.toMatch(/\.ts$/);
      expect(file, 'no tests').not.toMatch(/(^|\/)(test|tests|__tests__)\/|\.test\.|\.spec\./);
    }
    // Every runtime asset next to the sources (the forked SQL child, data files) sits at the same place in dist.
    const assets = filesUnder(path.join(serverDir, 'src')).filter((f) => !f.endsWith('.ts') && !/\.test\./.test(f));
    expect(assets).toContain('engine/sql-child.js');
    for (const asset of assets) expect(packed).toContain(`dist/${asset}`);
    // The shared workspace package is compiled in, not imported.
    expect(packed).toContain('dist/shared/src/index.js');
  });

  it('installs from the tarball into an empty prefix, with no tsx and no dev-only dependencies', { timeout: 2 * INSTALL_TIMEOUT_MS + 60_000 }, async () => {
    expect(tarball, 'packed by the previous test').toBeDefined();
    const args = ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', tarball];
    // The registry is reachable here and in CI; one retry absorbs a transient network failure.
    try {
      await run('npm', args, work, INSTALL_TIMEOUT_MS, BUILD_ENV);
    } catch (first) {
      console.warn(`npm install failed once, retrying: ${(first as Error).message.slice(0, 2000)}`);
      await run('npm', [...args, '--prefer-offline'], work, INSTALL_TIMEOUT_MS, BUILD_ENV);
    }
    expect(fs.existsSync(bin)).toBe(true);
    expect(fs.existsSync(path.join(installed, 'src')), 'no sources installed').toBe(false);

    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
      name: string;
      bin: Record<string, string>;
      engines: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(manifest.name).toBe('grist-gateway');
    expect(manifest.bin).toEqual({ 'grist-gateway': 'bin/grist-gateway.js' });
    expect(manifest.engines.node).toMatch(/^>=20/);
    // The dependencies are exactly the packages the built code imports: nothing missing, nothing dev-only.
    const imported = new Set<string>();
    for (const file of filesUnder(path.join(installed, 'dist')).filter((f) => f.endsWith('.js'))) {
      for (const name of packagesImportedBy(fs.readFileSync(path.join(installed, 'dist', file), 'utf8'))) imported.add(name);
    }
    expect(Object.keys(manifest.dependencies).sort()).toEqual([...imported].sort());
    expect(Object.keys(manifest.dependencies)).not.toContain('tsx');
    // tsx is nowhere in the installed tree (not even as someone's dependency).
    const tsx = [path.join(installed, 'node_modules/tsx'), path.join(prefix, 'lib/node_modules/tsx')];
    for (const dir of tsx) expect(fs.existsSync(dir), dir).toBe(false);
    installedOk = true;
  });

  it('prints its version', { timeout: 60_000 }, async () => {
    expect(installedOk, 'installed by the previous test').toBe(true);
    expect(await run(bin, ['--version'], work, 60_000)).toBe(`${sourceManifest.version}\n`);
  });

  it('serve in an empty folder creates the demo config and serves it, SQL and types included', { timeout: 120_000 }, async () => {
    expect(installedOk, 'installed by the previous test').toBe(true);
    const folder = fs.mkdtempSync(path.join(work, 'serve-'));
    const child = spawn(bin, ['serve', '--port', '0'], { cwd: folder, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          const match = /listening on (http:\/\/\S+)/.exec(stderr);
          if (match && /gga_\S+/.test(stderr)) resolve(match[1]!);
        });
        void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
      });
      const token = /(gga_[A-Za-z0-9_-]+)/.exec(stderr)![1]!;
      expect(fs.readFileSync(path.join(folder, 'grist-gateway.yaml'), 'utf8')).toContain('engine: embedded');
      expect(fs.existsSync(path.join(folder, 'data/demo.grist'))).toBe(true);

      expect((await fetch(`${url}/health`)).status).toBe(200);
      const post = async (bearer: string, body: unknown): Promise<{ success: boolean; data: any; error?: unknown }> => {
        const res = await fetch(`${url}/api/v1/proxy`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return (await res.json()) as { success: boolean; data: any };
      };
      const minted = await post(token, { method: 'request_session_token', document: 'demo', permissions: ['read'] });
      expect(minted.success).toBe(true);
      const session = minted.data.token as string;
      expect((await post(session, { method: 'list_tables' })).data.tables).toEqual(['Customers', 'Products', 'Orders']);
      // sql_query runs in the forked child process (dist/engine/sql-child.js).
      const sql = await post(session, { method: 'sql_query', query: 'SELECT COUNT(*) AS n FROM Products' });
      expect(sql.success, JSON.stringify(sql)).toBe(true);
      expect(sql.data.records[0].n).toBeGreaterThan(0);
      // types: the shared codegen compiled into the package, against the live gateway.
      const types = await run(bin, ['types', '--url', url, '--token', session], work, 60_000);
      expect(types).toContain('export type Schema');
      expect(types).toContain('Products');
      expect(stdout).toBe('');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('mcp --config FILE answers initialize, tools/list and tools/call over stdio', { timeout: 120_000 }, async () => {
    expect(installedOk, 'installed by the previous test').toBe(true);
    const folder = fs.mkdtempSync(path.join(work, 'mcp-'));
    const config = path.join(folder, 'grist-gateway.yaml');
    fs.writeFileSync(
      config,
      [
        'documents:',
        '  notes:',
        '    engine: embedded',
        '    path: ./notes.grist',
        'tokens:',
        '  - token: ${AGENT_TOKEN}',
        '    name: packed-agent',
        '    scope:',
        '      - document: notes',
        '        permissions: [read, write, schema]',
        '',
      ].join('\n'),
    );
    const agentToken = 'gga_packed_package_test_token_0123456789';
    const transport = new StdioClientTransport({
      command: bin,
      args: ['mcp', '--config', config],
      // Another folder as cwd: the config path alone must be enough.
      cwd: work,
      env: cleanEnv({ GRIST_GATEWAY_TOKEN: agentToken, AGENT_TOKEN: agentToken }),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'pack-test', version: '1.0.0' });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()?.name).toBeTruthy();
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['list_tables', 'get_records', 'create_table', 'add_records', 'request_session_token']));

      type ToolResult = { isError?: boolean; content: Array<{ type: string; text?: string }> };
      const call = async (name: string, args: Record<string, unknown>): Promise<ToolResult> => {
        const res = (await client.callTool({ name, arguments: { document: 'notes', ...args } })) as ToolResult;
        expect(res.isError, `${name}: ${JSON.stringify(res.content)}`).toBeFalsy();
        return res;
      };
      await call('create_table', { table_id: 'Notes', columns: [{ id: 'Text', type: 'Text' }] });
      await call('add_records', { table: 'Notes', records: [{ Text: 'from the packed package' }] });
      const read = await call('get_records', { table: 'Notes' });
      expect(read.content.map((c) => c.text ?? '').join('')).toContain('from the packed package');
    } finally {
      await client.close();
    }
  });
});
