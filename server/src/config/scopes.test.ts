import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse.js';

const BASE = path.resolve('/srv/gateway');

/** A config with one embedded document and one agent whose scope entry ends with `tables` (YAML text). */
function configWith(tables: string): string {
  return [
    'documents:',
    '  sales: {engine: embedded, path: sales.grist}',
    'tokens:',
    '  - token: agent-token-1',
    '    name: orders-agent',
    '    scope:',
    '      - document: sales',
    '        permissions: [read, write]',
    ...(tables ? [`        tables: ${tables}`] : []),
    '',
  ].join('\n');
}

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, { baseDir: BASE, env: {}, source: 'test.yaml' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('config: tables of a scope entry', () => {
  it('reads "*" and column lists, in written order, and keeps other documents whole', () => {
    const config = parseConfig(configWith('{Orders: "*", Customers: [Name, City, Name]}'), { baseDir: BASE, env: {} });
    expect(config.agents[0]!.tables?.get('sales')).toEqual([
      { table: 'Orders', columns: '*' },
      { table: 'Customers', columns: ['Name', 'City'] },
    ]);
  });

  it('is optional: no tables means every table, as before', () => {
    const config = parseConfig(configWith(''), { baseDir: BASE, env: {} });
    expect(config.agents[0]!.tables).toBeUndefined();
  });

  it('names the path of every malformed entry', () => {
    expect(problemsOf(configWith('{}'))).toEqual([
      'tokens[0].scope[0].tables: must not be empty (leave tables out to allow every table)',
    ]);
    expect(problemsOf(configWith('{Orders: []}'))).toEqual(['tokens[0].scope[0].tables.Orders: must not be empty']);
    expect(problemsOf(configWith('{Orders: all}'))).toEqual([
      'tokens[0].scope[0].tables.Orders: must be "*" (every column) or a list of column ids, not "all"',
    ]);
    expect(problemsOf(configWith('{Orders: }'))).toEqual([
      'tokens[0].scope[0].tables.Orders: is empty; give "*" (every column) or a list of column ids',
    ]);
    expect(problemsOf(configWith('[Orders]'))).toEqual([
      'tokens[0].scope[0].tables: must be a mapping of table ids to "*" or a list of column ids, not a list',
    ]);
    expect(problemsOf(configWith('{Orders: [Name, ""]}'))).toEqual(['tokens[0].scope[0].tables.Orders[1]: is empty']);
  });
});

describe('README: the scope example', () => {
  it('loads as part of a config', async () => {
    const fs = await import('node:fs');
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Table and column scopes'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const config = parseConfig(`documents:\n  sales: {engine: embedded, path: sales.grist}\n${yaml}`, {
      baseDir: BASE,
      env: { ORDERS_AGENT_TOKEN: 'gga_readme_scope_token' },
    });
    expect(config.agents[0]!.tables?.get('sales')).toEqual([
      { table: 'Orders', columns: '*' },
      { table: 'Customers', columns: ['Name', 'City'] },
    ]);
  });
});
