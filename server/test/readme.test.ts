/**
 * Keeps the README true: its config example loads, and every method and endpoint it lists exists.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { methodNames } from '@grist-gateway/shared';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';

const README = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('README', () => {
  it('its config example loads', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(README)?.[1];
    expect(yaml).toBeDefined();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-readme-'));
    try {
      const file = path.join(dir, 'grist-gateway.yaml');
      fs.writeFileSync(file, yaml!);
      const config = loadConfig(file, { GRIST_API_KEY: 'k', REPORTING_AGENT_TOKEN: 'gga_readme_example_token_value', EMBEDDED_API_KEY: 'e' });
      expect([...config.documents.keys()]).toEqual(['sales', 'demo']);
      expect(config.agents.map((a) => a.name)).toEqual(['reporting-agent']);
      expect(config.gristApi?.dataDir).toBe(path.join(dir, 'data'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists every method of the registry', () => {
    for (const name of methodNames) expect(README, name).toContain(`| \`${name}\` |`);
  });
});
