import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentRegistry } from '../auth/registry.js';
import { sha256Hex } from '../auth/tokens.js';
import { writeDemoConfig } from './demo.js';
import { ConfigError } from './errors.js';
import { DEFAULT_CONFIG_FILE, loadConfig, resolveConfigPath } from './load.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-config-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('loads a file and resolves relative paths against its folder, not the cwd', () => {
    const sub = path.join(dir, 'etc');
    fs.mkdirSync(sub);
    const file = path.join(sub, 'gw.yaml');
    fs.writeFileSync(
      file,
      'documents:\n  demo:\n    engine: embedded\n    path: ../data/demo.grist\ntokens:\n  - token: ${T}\n    name: a\n    scope: [{document: demo, permissions: [read]}]\ngrist_api:\n  api_key: k\n  data_dir: ./docs\n',
    );
    const config = loadConfig(file, { T: 'tok' });
    expect(config.source).toBe(file);
    expect(config.documents.get('demo')).toEqual({ kind: 'embedded', name: 'demo', path: path.join(dir, 'data', 'demo.grist') });
    expect(config.gristApi?.dataDir).toBe(path.join(sub, 'docs'));
    expect(config.agents[0]?.tokenSha256).toBe(sha256Hex('tok'));
  });

  it('throws ConfigError naming the file for a missing file or a folder', () => {
    const missing = path.join(dir, 'nope.yaml');
    expect(() => loadConfig(missing, {})).toThrow(ConfigError);
    try {
      loadConfig(missing, {});
    } catch (err) {
      expect((err as ConfigError).problems).toEqual(['(file): file not found']);
      expect((err as ConfigError).message).toContain(missing);
    }
    expect(() => loadConfig(dir, {})).toThrow(/is a folder, not a file/);
  });

  it('lists every problem and the file in the message', () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'documents:\n  a:\n    url: x\n    doc_id: d\n    api_key: ${NOPE}\n');
    let error: ConfigError | undefined;
    try {
      loadConfig(file, {});
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems).toEqual([
      'documents.a.api_key: environment variable NOPE is not set',
      'documents.a.url: "x" is not a valid http(s) URL',
    ]);
    expect(error?.message).toContain(`Invalid config ${file} (2 problems):`);
    expect(error?.message).toContain('  - documents.a.api_key: environment variable NOPE is not set');
  });
});

describe('resolveConfigPath', () => {
  it('prefers --config, then CONFIG_PATH, then ./grist-gateway.yaml, resolved against cwd', () => {
    const cwd = path.resolve('/opt/app');
    expect(resolveConfigPath({ flag: 'a.yaml', env: { CONFIG_PATH: 'b.yaml' }, cwd })).toBe(path.join(cwd, 'a.yaml'));
    expect(resolveConfigPath({ env: { CONFIG_PATH: 'b.yaml' }, cwd })).toBe(path.join(cwd, 'b.yaml'));
    expect(resolveConfigPath({ flag: '', env: { CONFIG_PATH: '' }, cwd })).toBe(path.join(cwd, DEFAULT_CONFIG_FILE));
    expect(resolveConfigPath({ env: {}, cwd })).toBe(path.join(cwd, 'grist-gateway.yaml'));
    expect(resolveConfigPath({ flag: '/etc/gw.yaml', env: {}, cwd })).toBe(path.resolve('/etc/gw.yaml'));
  });

  it('defaults to process.cwd()', () => {
    expect(resolveConfigPath({ env: {} })).toBe(path.join(process.cwd(), DEFAULT_CONFIG_FILE));
  });
});

describe('writeDemoConfig', () => {
  it('writes a loadable config with only the token digest, and the token authenticates as demo-agent', () => {
    const file = path.join(dir, 'conf', 'grist-gateway.yaml');
    const dataDir = path.join(dir, 'conf', 'data');
    const { token } = writeDemoConfig({ path: file, dataDir });
    expect(token).toMatch(/^gga_[A-Za-z0-9_-]{43}$/);

    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).toContain(`token_sha256: ${sha256Hex(token)}`);
    expect(text).toContain('path: "./data/demo.grist"');
    expect(fs.statSync(dataDir).isDirectory()).toBe(true);

    const config = loadConfig(file, {});
    expect([...config.documents.values()]).toEqual([{ kind: 'embedded', name: 'demo', path: path.join(dataDir, 'demo.grist') }]);
    const agent = new AgentRegistry(config.agents).authenticate(token);
    expect(agent?.name).toBe('demo-agent');
    expect(agent?.permissionsFor('demo')).toEqual(['read', 'write', 'schema']);
  });

  it('sets public_url when told where serve will listen, and names the session store file', () => {
    const file = path.join(dir, 'gw.yaml');
    writeDemoConfig({ path: file, dataDir: path.join(dir, 'data'), publicUrl: 'http://127.0.0.1:3000' });
    const config = loadConfig(file, {});
    expect(config.publicUrl).toBe('http://127.0.0.1:3000');
    expect(config.sessions).toEqual({ store: 'sqlite', path: path.join(dir, 'gw.sessions.sqlite'), maxPerAgent: 1000 });
    expect(fs.readFileSync(file, 'utf8')).toContain('(gw.sessions.sqlite)');
    const plain = path.join(dir, 'plain.yaml');
    writeDemoConfig({ path: plain, dataDir: path.join(dir, 'data') });
    expect(loadConfig(plain, {}).publicUrl).toBeUndefined();
  });

  it('uses an absolute document path when the data folder is outside the config folder', () => {
    const file = path.join(dir, 'conf', 'gw.yaml');
    const dataDir = path.join(dir, 'elsewhere');
    writeDemoConfig({ path: file, dataDir });
    expect(loadConfig(file, {}).documents.get('demo')).toMatchObject({ path: path.join(dataDir, 'demo.grist') });
  });

  it('never overwrites an existing file', () => {
    const file = path.join(dir, 'gw.yaml');
    fs.writeFileSync(file, 'mine\n');
    expect(() => writeDemoConfig({ path: file, dataDir: path.join(dir, 'data') })).toThrow(/already exists/);
    expect(fs.readFileSync(file, 'utf8')).toBe('mine\n');
  });

  it('makes a new token each time', () => {
    const a = writeDemoConfig({ path: path.join(dir, 'a.yaml'), dataDir: dir }).token;
    const b = writeDemoConfig({ path: path.join(dir, 'b.yaml'), dataDir: dir }).token;
    expect(a).not.toBe(b);
  });
});
