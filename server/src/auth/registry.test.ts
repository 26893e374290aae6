import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../config/types.js';
import type { Permission } from './permissions.js';
import { AgentRegistry } from './registry.js';
import { generateAgentToken, sha256Hex } from './tokens.js';

function agentConfig(name: string, token: string, scopes: Record<string, Permission[]>): AgentConfig {
  return { name, tokenSha256: sha256Hex(token), scopes: new Map(Object.entries(scopes).map(([d, p]) => [d, new Set(p)])) };
}

describe('AgentRegistry', () => {
  const alpha = generateAgentToken().token;
  const registry = new AgentRegistry([
    agentConfig('alpha', alpha, { sales: ['write', 'read'], demo: ['schema'] }),
    agentConfig('beta', 'beta-token', { demo: ['read'] }),
  ]);

  it('authenticates each agent by its own token', () => {
    expect(registry.authenticate(alpha)?.name).toBe('alpha');
    expect(registry.authenticate('beta-token')?.name).toBe('beta');
  });

  it('rejects wrong, near-miss, empty and session-looking tokens', () => {
    expect(registry.authenticate('wrong')).toBeUndefined();
    expect(registry.authenticate(alpha.slice(0, -1))).toBeUndefined();
    expect(registry.authenticate(`${alpha}x`)).toBeUndefined();
    expect(registry.authenticate('')).toBeUndefined();
    expect(registry.authenticate('BETA-TOKEN')).toBeUndefined();
    expect(registry.authenticate('sess_abc')).toBeUndefined();
  });

  it('rejects a session-prefixed token even if a config digest matched it', () => {
    const sneaky = new AgentRegistry([agentConfig('sneaky', 'sess_configured', { demo: ['read'] })]);
    expect(sneaky.authenticate('sess_configured')).toBeUndefined();
  });

  it('accepts upper-case digests from the config', () => {
    const upper = new AgentRegistry([{ name: 'u', tokenSha256: sha256Hex('t').toUpperCase(), scopes: new Map() }]);
    expect(upper.authenticate('t')?.name).toBe('u');
  });

  it('refuses a malformed digest at construction', () => {
    expect(() => new AgentRegistry([{ name: 'bad', tokenSha256: 'abc', scopes: new Map() }])).toThrow(/bad.*64 hex/);
  });

  it('answers permission questions per document', () => {
    const agent = registry.authenticate(alpha)!;
    expect(agent.can('sales', 'read')).toBe(true);
    expect(agent.can('sales', 'schema')).toBe(false);
    expect(agent.can('demo', 'schema')).toBe(true);
    expect(agent.can('other', 'read')).toBe(false);
    expect(agent.permissionsFor('sales')).toEqual(['read', 'write']);
    expect(agent.permissionsFor('other')).toEqual([]);
    expect([...agent.scopes.keys()]).toEqual(['sales', 'demo']);
  });

  it('is not affected by later changes to the config objects', () => {
    const config = agentConfig('m', 'm-token', { d: ['read'] });
    const reg = new AgentRegistry([config]);
    config.scopes.get('d')!.add('schema');
    config.scopes.set('e', new Set(['read']));
    const agent = reg.authenticate('m-token')!;
    expect(agent.permissionsFor('d')).toEqual(['read']);
    expect(agent.can('e', 'read')).toBe(false);
  });

  it('lists and finds agents by name', () => {
    expect(registry.size).toBe(2);
    expect(registry.list().map((a) => a.name)).toEqual(['alpha', 'beta']);
    expect(registry.get('beta')?.permissionsFor('demo')).toEqual(['read']);
    expect(registry.get('gamma')).toBeUndefined();
  });
});
