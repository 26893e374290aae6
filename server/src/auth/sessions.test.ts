import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError } from './errors.js';
import type { Permission } from './permissions.js';
import { AgentRegistry } from './registry.js';
import type { Agent } from './registry.js';
import { SessionStore } from './sessions.js';
import { sha256Hex } from './tokens.js';

function makeAgent(name: string, scopes: Record<string, Permission[]>): Agent {
  const token = `${name}-token`;
  const registry = new AgentRegistry([
    { name, tokenSha256: sha256Hex(token), scopes: new Map(Object.entries(scopes).map(([d, p]) => [d, new Set(p)])) },
  ]);
  return registry.authenticate(token)!;
}

/** A clock tests move by hand. */
function fakeClock(start = Date.UTC(2030, 0, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const stores: SessionStore[] = [];
function makeStore(now: () => number, sweepIntervalMs?: number): SessionStore {
  const store = new SessionStore(sweepIntervalMs === undefined ? { now } : { now, sweepIntervalMs });
  stores.push(store);
  return store;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

/** The AuthError thrown by `fn` (fails the test if none). */
function authErrorOf(fn: () => unknown): AuthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return err as AuthError;
  }
  throw new Error('expected an AuthError');
}

const owner = makeAgent('owner', { sales: ['read', 'write'], demo: ['read', 'write', 'schema'] });
const other = makeAgent('other', { sales: ['read'] });

describe('SessionStore.mint', () => {
  it('mints a sess_ token for a subset of the agent permissions, resolvable to that grant', () => {
    const clock = fakeClock();
    const store = makeStore(clock.now);
    const minted = store.mint(owner, { document: 'demo', permissions: ['write', 'read', 'write'], ttlSeconds: 60 });
    expect(minted.token).toMatch(/^sess_[A-Za-z0-9_-]{43}$/);
    expect(minted.document).toBe('demo');
    expect(minted.permissions).toEqual(['read', 'write']);
    expect(minted.expiresAt.getTime()).toBe(clock.now() + 60_000);

    const resolved = store.resolve(minted.token);
    expect(resolved.ok).toBe(true);
    if (!resolved.ok) return;
    expect(resolved.session.document).toBe('demo');
    expect(resolved.session.permissions).toEqual(['read', 'write']);
    expect(resolved.session.agentName).toBe('owner');
    expect(resolved.session.expiresAt.getTime()).toBe(clock.now() + 60_000);
  });

  it('defaults the TTL to 300 seconds and makes distinct tokens', () => {
    const clock = fakeClock();
    const store = makeStore(clock.now);
    const a = store.mint(owner, { document: 'sales', permissions: ['read'] });
    const b = store.mint(owner, { document: 'sales', permissions: ['read'] });
    expect(a.expiresAt.getTime()).toBe(clock.now() + 300_000);
    expect(a.token).not.toBe(b.token);
    expect(store.size).toBe(2);
  });

  it('never grants a permission the agent lacks, naming it and the document', () => {
    const store = makeStore(fakeClock().now);
    const err = authErrorOf(() => store.mint(owner, { document: 'sales', permissions: ['read', 'schema'] }));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toBe('Agent "owner" lacks "schema" permission on document "sales" (has: read, write)');
    const err2 = authErrorOf(() => store.mint(other, { document: 'sales', permissions: ['write', 'schema'] }));
    expect(err2.message).toContain('lacks "write", "schema" permission on document "sales"');
    expect(store.size).toBe(0);
  });

  it('refuses documents outside the scope', () => {
    const store = makeStore(fakeClock().now);
    const err = authErrorOf(() => store.mint(other, { document: 'demo', permissions: ['read'] }));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toBe('Agent "other" has no access to document "demo"');
  });

  it('treats an empty permission list as an error, not "everything"', () => {
    const store = makeStore(fakeClock().now);
    const err = authErrorOf(() => store.mint(owner, { document: 'demo', permissions: [] }));
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.message).toMatch(/^permissions: must list at least one of read, write, schema/);
  });

  it('rejects unknown permissions and malformed requests as INVALID_REQUEST', () => {
    const store = makeStore(fakeClock().now);
    const bad = authErrorOf(() => store.mint(owner, { document: 'demo', permissions: ['read', 'admin' as Permission] }));
    expect(bad.code).toBe('INVALID_REQUEST');
    expect(bad.message).toBe('permissions: "admin" is not one of read, write, schema');
    expect(authErrorOf(() => store.mint(owner, { document: 'demo', permissions: 'read' as unknown as Permission[] })).code).toBe('INVALID_REQUEST');
    expect(authErrorOf(() => store.mint(owner, { document: '', permissions: ['read'] })).message).toBe('document: a document name is required');
  });

  it('enforces TTL bounds of 1..3600 whole seconds, naming the limit', () => {
    const clock = fakeClock();
    const store = makeStore(clock.now);
    expect(store.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 1 }).expiresAt.getTime()).toBe(clock.now() + 1000);
    expect(store.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 3600 }).expiresAt.getTime()).toBe(clock.now() + 3_600_000);
    const tooLong = authErrorOf(() => store.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 3601 }));
    expect(tooLong.code).toBe('INVALID_REQUEST');
    expect(tooLong.message).toBe('ttlSeconds: must be at most 3600 (got 3601)');
    expect(authErrorOf(() => store.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 0 })).message).toBe(
      'ttlSeconds: must be at least 1 (got 0)',
    );
    for (const ttl of [1.5, Number.NaN, Number.POSITIVE_INFINITY, '60' as unknown as number]) {
      expect(authErrorOf(() => store.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: ttl })).code).toBe('INVALID_REQUEST');
    }
  });
});

describe('SessionStore.resolve', () => {
  it('expires sessions by the injected clock', () => {
    const clock = fakeClock();
    const store = makeStore(clock.now);
    const { token } = store.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 10 });
    clock.advance(9_999);
    expect(store.resolve(token).ok).toBe(true);
    clock.advance(1);
    const expired = store.resolve(token);
    expect(expired).toMatchObject({ ok: false, code: 'TOKEN_EXPIRED' });
    if (expired.ok) return;
    expect(expired.message).toContain(token.slice(0, 8));
    expect(expired.message).not.toContain(token.slice(0, 9));
    // Dropped once seen expired.
    expect(store.size).toBe(0);
    expect(store.resolve(token)).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
  });

  it('gives INVALID_TOKEN for malformed and unknown tokens without echoing them', () => {
    const store = makeStore(fakeClock().now);
    const unknown = `sess_${'A'.repeat(43)}`;
    const r1 = store.resolve(unknown);
    expect(r1).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
    if (!r1.ok) expect(r1.message).not.toContain(unknown.slice(0, 9));
    for (const bad of ['', 'sess_', 'sess_short', 'gga_whatever', `sess_${'A'.repeat(42)}!`, `sess_${'A'.repeat(44)}`]) {
      const r = store.resolve(bad);
      expect(r).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
      if (!r.ok && bad.length > 8) expect(r.message).not.toContain(bad);
    }
  });

  it('does not accept an agent token as a session token', () => {
    const store = makeStore(fakeClock().now);
    expect(store.resolve('owner-token')).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
  });
});

describe('SessionStore.revoke', () => {
  it('revokes a session so it no longer resolves', () => {
    const store = makeStore(fakeClock().now);
    const { token } = store.mint(owner, { document: 'demo', permissions: ['read'] });
    expect(store.revoke(token)).toBe(true);
    expect(store.resolve(token)).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
    expect(store.revoke(token)).toBe(false);
  });

  it('lets an agent revoke only its own sessions', () => {
    const store = makeStore(fakeClock().now);
    const { token } = store.mint(owner, { document: 'sales', permissions: ['read'] });
    expect(store.revoke(token, 'other')).toBe(false);
    expect(store.resolve(token).ok).toBe(true);
    expect(store.revoke(token, 'owner')).toBe(true);
    expect(store.resolve(token).ok).toBe(false);
  });

  it('returns false for malformed or expired tokens', () => {
    const clock = fakeClock();
    const store = makeStore(clock.now);
    expect(store.revoke('nonsense')).toBe(false);
    const { token } = store.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 5 });
    clock.advance(5_000);
    expect(store.revoke(token)).toBe(false);
  });

  it('revokes all sessions of one agent', () => {
    const store = makeStore(fakeClock().now);
    const a = store.mint(owner, { document: 'demo', permissions: ['read'] });
    store.mint(owner, { document: 'sales', permissions: ['read'] });
    const b = store.mint(other, { document: 'sales', permissions: ['read'] });
    expect(store.revokeAllFor('owner')).toBe(2);
    expect(store.resolve(a.token).ok).toBe(false);
    expect(store.resolve(b.token).ok).toBe(true);
  });
});

describe('SessionStore sweeping', () => {
  it('sweep() drops only expired sessions', () => {
    const clock = fakeClock();
    const store = makeStore(clock.now);
    store.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 10 });
    const long = store.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 100 });
    clock.advance(10_000);
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(1);
    expect(store.resolve(long.token).ok).toBe(true);
  });

  it('sweeps on access once the sweep interval has passed on the clock', () => {
    const clock = fakeClock();
    const store = makeStore(clock.now, 1_000);
    store.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 1 });
    store.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 1 });
    expect(store.size).toBe(2);
    clock.advance(999);
    store.resolve('unrelated');
    expect(store.size).toBe(2);
    clock.advance(1);
    store.resolve('unrelated');
    expect(store.size).toBe(0);
  });

  it('runs a periodic sweep on an unref()d timer that close() stops', async () => {
    const clock = fakeClock();
    const store = makeStore(clock.now, 5);
    store.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 1 });
    clock.advance(1_000);
    // Wait (event-driven, not a fixed sleep) until the timer has swept; bounded by the test timeout.
    while (store.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(store.size).toBe(0);
    const cleared = vi.spyOn(globalThis, 'clearInterval');
    try {
      store.close();
      store.close(); // idempotent: the interval is cleared once
      expect(cleared).toHaveBeenCalledTimes(1);
    } finally {
      cleared.mockRestore();
    }
    // Still works after close, sweeping on access.
    const { token } = store.mint(owner, { document: 'demo', permissions: ['read'] });
    expect(store.resolve(token).ok).toBe(true);
  });
});
