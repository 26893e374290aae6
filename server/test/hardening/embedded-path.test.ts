/** A broken embedded `path` is a start-up error naming the document and the path, not INTERNAL_ERROR per call. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/gateway.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-paths-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function configWith(docPath: string): string {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, `documents:\n  broken:\n    engine: embedded\n    path: ${JSON.stringify(docPath)}\ntokens: []\n`);
  return file;
}

function startupError(docPath: string): ConfigError {
  const config = loadConfig(configWith(docPath), {});
  try {
    createGateway(config);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a start-up error');
}

describe('embedded document paths are checked at start-up', () => {
  it('a path under a regular file', () => {
    fs.writeFileSync(path.join(dir, 'plain.txt'), 'x');
    const bad = path.join(dir, 'plain.txt', 'sub', 'doc.grist');
    const err = startupError(bad);
    expect(err.problems).toEqual([`documents.broken.path: ${JSON.stringify(bad)}: ${JSON.stringify(path.join(dir, 'plain.txt'))} is a regular file, not a folder`]);
  });

  it('a path that is a folder', () => {
    fs.mkdirSync(path.join(dir, 'folder.grist'));
    const err = startupError(path.join(dir, 'folder.grist'));
    expect(err.problems[0]).toMatch(/is a folder; give the path of a \.grist file/);
  });

  it.skipIf(process.getuid?.() === 0)('an unwritable folder', () => {
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked, { mode: 0o500 });
    const err = startupError(path.join(locked, 'doc.grist'));
    expect(err.problems[0]).toMatch(/cannot create it in .*locked.*EACCES/);
  });

  it('a new file in a new folder is fine (created on first use)', async () => {
    const gateway = createGateway(loadConfig(configWith(path.join(dir, 'new', 'deeper', 'doc.grist')), {}));
    await gateway.close();
  });
});
