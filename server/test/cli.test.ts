/**
 * The CLI as a user runs it: `serve` in a fresh folder creates a config with a demo document and an agent
 * token shown once, then serves it; a named config file that does not exist is an error that creates
 * nothing; every command answers --help; `token` prints a token and its config line.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';

const BIN = path.resolve(import.meta.dirname, '../bin/grist-gateway.js');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('grist-gateway serve', () => {
  it('creates a demo config on first run when none is named, shows the token once, and serves the demo document', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-cli-'));
    dirs.push(dir);
    const config = path.join(dir, 'grist-gateway.yaml');
    const { CONFIG_PATH: _unset, ...env } = process.env;
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          const match = /listening on (http:\/\/\S+)/.exec(stderr);
          if (match && /gga_\S+/.test(stderr)) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
      });
      const token = /(gga_[A-Za-z0-9_-]+)/.exec(stderr)![1]!;
      const text = fs.readFileSync(config, 'utf8');
      expect(text).toContain('engine: embedded');
      expect(text).not.toContain(token); // only its digest is stored
      expect(text).toMatch(/token_sha256: [0-9a-f]{64}/);
      const post = (t: string, body: unknown) =>
        fetch(`${url}/api/v1/proxy`, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
          (r) => r.json() as Promise<any>,
        );
      const minted = await post(token, { method: 'request_session_token', document: 'demo', permissions: ['read'] });
      expect(minted.success).toBe(true);
      expect(minted.data.proxy_url).toBe(`${url}/api/v1/proxy`);
      // The banner is for people: plain lines, the version, where everything is.
      expect(stderr).toMatch(/^grist-gateway \d+\.\d+\.\d+\S* listening on http:\/\/127\.0\.0\.1:\d+\n  config: +\S+grist-gateway\.yaml\n/);
      const tables = await post(minted.data.token, { method: 'list_tables' });
      expect(tables.data.tables).toEqual(['Customers', 'Products', 'Orders']);
      const orders = await post(minted.data.token, { method: 'get_records', table: 'Orders' });
      expect(orders.data.records.length).toBeGreaterThan(0);
      expect(stdout).toBe('');
      // No grist_api in the config: the Grist REST API is not exposed.
      expect((await fetch(`${url}/api/docs/demo/tables`)).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    // A second run keeps the config and the data and shows no token; grist-mcp's LOG_LEVEL names work.
    const again = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'WARNING' },
    });
    let second = '';
    await new Promise<void>((resolve, reject) => {
      again.stderr.on('data', (c: Buffer) => {
        second += c.toString();
        if (second.includes('listening on')) resolve();
      });
      again.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${second}`)));
    });
    again.kill('SIGTERM');
    await new Promise((resolve) => again.once('exit', resolve));
    expect(second).not.toMatch(/gga_/);
    // The first run also loads Python for the demo's formula columns (seconds, more on a busy machine).
  }, 120_000);

  it('refuses a broken config with every problem and its path', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-cli-'));
    dirs.push(dir);
    const config = path.join(dir, 'bad.yaml');
    fs.writeFileSync(config, 'documents:\n  a:\n    engine: embedded\n    path: ./a.grist\ntokens:\n  - token: x\n    name: n\n    scope:\n      - document: b\n        permissions: [admin]\n');
    const res = spawnSync(process.execPath, [BIN, 'serve', '--config', config, '--port', '0'], { encoding: 'utf8', timeout: 30_000 });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('tokens[0].scope[0].document');
    expect(res.stderr).toContain('tokens[0].scope[0].permissions[0]');
  }, 60_000);
});

describe('grist-gateway serve with grist_api', () => {
  it('serves configured embedded documents over Grist\'s REST API under their config name', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-cli-'));
    dirs.push(dir);
    const config = path.join(dir, 'grist-gateway.yaml');
    fs.writeFileSync(config, 'documents:\n  shop:\n    engine: embedded\n    path: ./shop.grist\ntokens: []\ngrist_api:\n  api_key: ${EMBEDDED_KEY}\n  data_dir: ./data\n');
    const child = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, EMBEDDED_KEY: 'embedded-key-123' },
    });
    try {
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          const match = /listening on (http:\/\/\S+)/.exec(stderr);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
      });
      const auth = { authorization: 'Bearer embedded-key-123', 'content-type': 'application/json' };
      const created = await fetch(`${url}/api/docs/shop/tables`, { method: 'POST', headers: auth, body: JSON.stringify({ tables: [{ id: 'Items', columns: [{ id: 'Name', fields: { type: 'Text' } }] }] }) });
      expect(created.status).toBe(200);
      expect(await created.json()).toEqual({ tables: [{ id: 'Items' }] });
      const added = await fetch(`${url}/api/docs/shop/tables/Items/records`, { method: 'POST', headers: auth, body: JSON.stringify({ records: [{ fields: { Name: 'pen' } }] }) });
      expect(await added.json()).toEqual({ records: [{ id: 1 }] });
      const read = await fetch(`${url}/api/docs/shop/tables/Items/records`, { headers: auth });
      expect(await read.json()).toEqual({ records: [{ id: 1, fields: { Name: 'pen' } }] });
      const wrongKey = await fetch(`${url}/api/docs/shop/tables`, { headers: { authorization: 'Bearer nope' } });
      expect(wrongKey.status).toBe(401);
      const newDoc = await fetch(`${url}/api/workspaces/1/docs`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Scratch' }) });
      expect(newDoc.status).toBe(200);
      expect(await newDoc.json()).toMatch(/^[A-Za-z0-9]{22}$/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 60_000);
});

/** Runs the CLI in-process, capturing what it writes. */
async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('grist-gateway options', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each(['serve', 'mcp', 'token'])('%s --help says what it does and every option with its default and variable', async (command) => {
    const { code, stdout } = await runCli([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: grist-gateway ${command}`));
    expect(stdout).toContain('-h, --help');
    if (command !== 'token') {
      expect(stdout).toMatch(/--config <path> +Config file\. Env: CONFIG_PATH\. Default: \.\/grist-gateway\.yaml\./);
      expect(stdout).toContain('LOG_LEVEL');
    }
    if (command === 'serve') {
      expect(stdout).toMatch(/--port <n> .*Env: PORT\. Default: 3000\./);
      expect(stdout).toMatch(/--host <addr> .*Env: HOST\. Default: 127\.0\.0\.1\./);
    }
    if (command === 'mcp') expect(stdout).toContain('GRIST_GATEWAY_TOKEN');
  });

  it('--version prints the package version; --help lists the commands', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string };
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'mcp', 'token']) expect(help.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
  });

  it('refuses unknown options and bad LOG_LEVEL values clearly', async () => {
    const unknown = await runCli(['serve', '--prot', '1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Unknown option '--prot'");
    expect(unknown.stderr).toContain('grist-gateway serve --help');
    vi.stubEnv('LOG_LEVEL', 'verbose');
    const level = await runCli(['serve', '--config', '/nonexistent/x.yaml']);
    expect(level.code).toBe(1);
    expect(level.stderr).toContain('LOG_LEVEL: "verbose" is not a log level');
  });

  it('a named config file that does not exist is an error naming it, and nothing is created', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-cli-'));
    dirs.push(dir);
    const byFlag = path.join(dir, 'typo', 'x.yaml');
    const flag = await runCli(['serve', '--config', byFlag, '--port', '0']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain(`Config file not found: ${byFlag} (named by --config). Nothing was created.`);
    const byEnv = path.join(dir, 'other', 'config.yml');
    vi.stubEnv('CONFIG_PATH', byEnv);
    const env = await runCli(['serve', '--port', '0']);
    expect(env.code).toBe(1);
    expect(env.stderr).toContain(`Config file not found: ${byEnv} (named by CONFIG_PATH)`);
    const mcp = await runCli(['mcp']);
    expect(mcp.code).toBe(1);
    vi.stubEnv('GRIST_GATEWAY_TOKEN', 'gga_whatever_token_value');
    const mcpMissing = await runCli(['mcp', '--config', byFlag]);
    expect(mcpMissing.code).toBe(1);
    expect(mcpMissing.stderr).toContain(`Invalid config ${byFlag} (1 problem):\n  - (file): file not found`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('grist-gateway token', () => {
  it('prints a new agent token and its sha256 config line', () => {
    const res = spawnSync(process.execPath, [BIN, 'token'], { encoding: 'utf8', timeout: 30_000 });
    expect(res.status).toBe(0);
    const [token] = res.stdout.split('\n');
    expect(token).toMatch(/^gga_[A-Za-z0-9_-]{43}$/);
    expect(res.stdout).toMatch(/token_sha256: [0-9a-f]{64}/);
  }, 60_000);
});
