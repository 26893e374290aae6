/**
 * The session contract, run against every store (memory, a SQLite file, a real Redis): minting rules,
 * expiry, revocation, the per-agent limit and sharing between two handles on one store all behave the
 * same whatever keeps the tokens. The Redis run needs `redis-server` (skipped with a message otherwise).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@redis/client';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_SKIP_MESSAGE, redisServerPath, startRedis, type TestRedis } from '../../test/helpers/redis.js';
import { AuthError } from './errors.js';
import type { Permission } from './permissions.js';
import { AgentRegistry } from './registry.js';
import type { Agent } from './registry.js';
import { SessionManager, type SessionManagerOptions } from './sessions.js';
import { MemorySessionStore } from './stores/memory.js';
import { RedisSessionStore } from './stores/redis.js';
import { SqliteSessionStore } from './stores/sqlite.js';
import type { SessionStore } from './stores/types.js';
import { randomToken, sha256Hex } from './tokens.js';

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

/** The AuthError `promise` rejects with (fails the test if it resolves). */
async function authErrorOf(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return err as AuthError;
  }
  throw new Error('expected an AuthError');
}

const owner = makeAgent('owner', { sales: ['read', 'write'], demo: ['read', 'write', 'schema'] });
const other = makeAgent('other', { sales: ['read'] });

/** How each store is opened: `open()` is a fresh shared store, `second()` another handle on the same data. */
interface StoreKit {
  name: string;
  open(): { first: SessionStore; second: () => SessionStore; raw: () => Promise<string> };
}

let redis: TestRedis | undefined;
let tmp: string;
let counter = 0;
const opened: SessionStore[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-sessions-'));
  if (redisServerPath) redis = await startRedis();
});
afterAll(async () => {
  await Promise.allSettled(opened.splice(0).map((s) => s.close()));
  await redis?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function track<T extends SessionStore>(store: T): T {
  opened.push(store);
  return store;
}

const kits: StoreKit[] = [
  {
    name: 'memory',
    open() {
      const store = track(new MemorySessionStore());
      return { first: store, second: () => store, raw: async () => '' };
    },
  },
  {
    name: 'sqlite',
    open() {
      const file = path.join(tmp, `s${++counter}.sqlite`);
      const raw = async (): Promise<string> =>
        ['', '-wal'].map((suffix) => (fs.existsSync(file + suffix) ? fs.readFileSync(file + suffix).toString('latin1') : '')).join('');
      return { first: track(new SqliteSessionStore({ path: file })), second: () => track(new SqliteSessionStore({ path: file })), raw };
    },
  },
  {
    name: 'redis',
    open() {
      const prefix = `test${++counter}:`;
      const url = redis!.url;
      const raw = async (): Promise<string> => {
        const client = createClient({ url });
        await client.connect();
        try {
          const keys = await client.keys(`${prefix}*`);
          const parts: string[] = [...keys];
          for (const key of keys) {
            parts.push(JSON.stringify((await client.type(key)) === 'hash' ? await client.hGetAll(key) : await client.zRange(key, 0, -1)));
          }
          return parts.join('\n');
        } finally {
          client.destroy();
        }
      };
      return { first: track(new RedisSessionStore({ url, prefix })), second: () => track(new RedisSessionStore({ url, prefix })), raw };
    },
  },
];

for (const kit of kits) {
  const skip = kit.name === 'redis' && !redisServerPath;
  if (skip) {
    console.warn(`[sessions] ${REDIS_SKIP_MESSAGE}`);
    describe.skip(`sessions over the redis store (${REDIS_SKIP_MESSAGE})`, () => {
      it('skipped', () => {});
    });
    continue;
  }

  describe(`sessions over the ${kit.name} store`, () => {
    function setup(options: SessionManagerOptions = {}) {
      const clock = fakeClock();
      const stores = kit.open();
      const sessions = new SessionManager(stores.first, { now: clock.now, ...options });
      const elsewhere = (): SessionManager => new SessionManager(stores.second(), { now: clock.now, ...options });
      return { clock, sessions, elsewhere, raw: stores.raw, store: stores.first };
    }

    it('mints a sess_ token for a subset of the agent permissions, resolvable to that grant', async () => {
      const { clock, sessions } = setup();
      const minted = await sessions.mint(owner, { document: 'demo', permissions: ['write', 'read', 'write'], ttlSeconds: 60 });
      expect(minted.token).toMatch(/^sess_[A-Za-z0-9_-]{43}$/);
      expect(minted.document).toBe('demo');
      expect(minted.permissions).toEqual(['read', 'write']);
      expect(minted.expiresAt.getTime()).toBe(clock.now() + 60_000);
      const resolved = await sessions.resolve(minted.token);
      expect(resolved.ok).toBe(true);
      if (!resolved.ok) return;
      expect(resolved.session.document).toBe('demo');
      expect(resolved.session.permissions).toEqual(['read', 'write']);
      expect(resolved.session.agentName).toBe('owner');
      expect(resolved.session.createdAt.getTime()).toBe(clock.now());
      expect(resolved.session.expiresAt.getTime()).toBe(clock.now() + 60_000);
    });

    it('defaults the TTL to 300 seconds and makes distinct tokens', async () => {
      const { clock, sessions } = setup();
      const a = await sessions.mint(owner, { document: 'sales', permissions: ['read'] });
      const b = await sessions.mint(owner, { document: 'sales', permissions: ['read'] });
      expect(a.expiresAt.getTime()).toBe(clock.now() + 300_000);
      expect(a.token).not.toBe(b.token);
      expect(await sessions.liveCount('owner')).toBe(2);
    });

    it('never grants a permission the agent lacks, naming it and the document', async () => {
      const { sessions } = setup();
      const err = await authErrorOf(sessions.mint(owner, { document: 'sales', permissions: ['read', 'schema'] }));
      expect(err.code).toBe('UNAUTHORIZED');
      expect(err.message).toBe('Agent "owner" lacks "schema" permission on document "sales" (has: read, write)');
      const err2 = await authErrorOf(sessions.mint(other, { document: 'sales', permissions: ['write', 'schema'] }));
      expect(err2.message).toContain('lacks "write", "schema" permission on document "sales"');
      const err3 = await authErrorOf(sessions.mint(other, { document: 'demo', permissions: ['read'] }));
      expect(err3.message).toBe('Agent "other" has no access to document "demo"');
      expect(await sessions.liveCount('owner')).toBe(0);
      expect(await sessions.liveCount('other')).toBe(0);
    });

    it('rejects empty and unknown permissions, a missing document and TTLs outside 1..3600 as INVALID_REQUEST', async () => {
      const { clock, sessions } = setup();
      expect((await authErrorOf(sessions.mint(owner, { document: 'demo', permissions: [] }))).message).toMatch(
        /^permissions: must list at least one of read, write, schema/,
      );
      const bad = await authErrorOf(sessions.mint(owner, { document: 'demo', permissions: ['read', 'admin' as Permission] }));
      expect(bad.code).toBe('INVALID_REQUEST');
      expect(bad.message).toBe('permissions: "admin" is not one of read, write, schema');
      expect((await authErrorOf(sessions.mint(owner, { document: '', permissions: ['read'] }))).message).toBe('document: a document name is required');
      expect((await sessions.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 3600 })).expiresAt.getTime()).toBe(clock.now() + 3_600_000);
      expect((await authErrorOf(sessions.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 3601 }))).message).toBe(
        'ttlSeconds: must be at most 3600 (got 3601)',
      );
      for (const ttl of [0, 1.5, Number.NaN, '60' as unknown as number]) {
        expect((await authErrorOf(sessions.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: ttl }))).code).toBe('INVALID_REQUEST');
      }
    });

    it('answers TOKEN_EXPIRED every time once expired, until the grace period has passed and it is swept', async () => {
      const { clock, sessions } = setup({ expiredGraceMs: 60_000 });
      const { token } = await sessions.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 10 });
      clock.advance(9_999);
      expect((await sessions.resolve(token)).ok).toBe(true);
      clock.advance(1);
      for (let i = 0; i < 3; i++) {
        const expired = await sessions.resolve(token);
        expect(expired).toMatchObject({ ok: false, code: 'TOKEN_EXPIRED' });
        if (!expired.ok) {
          expect(expired.message).toContain(token.slice(0, 8));
          expect(expired.message).not.toContain(token.slice(0, 9));
        }
      }
      expect(await sessions.liveCount('owner')).toBe(0);
      clock.advance(59_999);
      await sessions.sweep();
      expect(await sessions.resolve(token)).toMatchObject({ ok: false, code: 'TOKEN_EXPIRED' });
      if (kit.name !== 'redis') {
        // Redis drops it by its own TTL (real time), checked in the Redis-only test below.
        clock.advance(1);
        expect(await sessions.sweep()).toBe(1);
        expect(await sessions.resolve(token)).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
      }
    });

    it('gives INVALID_TOKEN for malformed, unknown and agent tokens without echoing them', async () => {
      const { sessions } = setup();
      const unknown = `sess_${'A'.repeat(43)}`;
      const r1 = await sessions.resolve(unknown);
      expect(r1).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
      if (!r1.ok) expect(r1.message).not.toContain(unknown.slice(0, 9));
      for (const bad of ['', 'sess_', 'sess_short', 'owner-token', `sess_${'A'.repeat(42)}!`, `sess_${'A'.repeat(44)}`]) {
        const r = await sessions.resolve(bad);
        expect(r).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
        if (!r.ok && bad.length > 8) expect(r.message).not.toContain(bad);
      }
    });

    it('revokes: only the minting agent, only live tokens, and all of one agent at once', async () => {
      const { clock, sessions } = setup();
      const { token } = await sessions.mint(owner, { document: 'sales', permissions: ['read'] });
      expect(await sessions.revoke(token, 'other')).toBe(false);
      expect((await sessions.resolve(token)).ok).toBe(true);
      expect(await sessions.revoke(token, 'owner')).toBe(true);
      expect(await sessions.resolve(token)).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
      expect(await sessions.revoke(token)).toBe(false);
      expect(await sessions.revoke('nonsense')).toBe(false);

      const short = await sessions.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 5 });
      clock.advance(5_000);
      expect(await sessions.revoke(short.token)).toBe(false);

      const a = await sessions.mint(owner, { document: 'demo', permissions: ['read'] });
      await sessions.mint(owner, { document: 'sales', permissions: ['read'] });
      const b = await sessions.mint(other, { document: 'sales', permissions: ['read'] });
      expect(await sessions.revokeAllFor('owner')).toBe(2);
      expect((await sessions.resolve(a.token)).ok).toBe(false);
      expect((await sessions.resolve(b.token)).ok).toBe(true);
    });

    it('limits live tokens per agent (429 RATE_LIMITED naming the limit); expired ones make room', async () => {
      const { clock, sessions } = setup({ maxPerAgent: 3 });
      const first = await sessions.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 10 });
      await sessions.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 100 });
      await sessions.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 100 });
      const err = await authErrorOf(sessions.mint(owner, { document: 'demo', permissions: ['read'] }));
      expect(err.code).toBe('RATE_LIMITED');
      expect(err.message).toContain('Agent "owner" already holds 3 live session tokens (the limit is 3, sessions.max_per_agent');
      expect((await sessions.mint(other, { document: 'sales', permissions: ['read'] })).token).toMatch(/^sess_/);
      // Revoking one makes room.
      expect(await sessions.revoke(first.token, 'owner')).toBe(true);
      const again = await sessions.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 10 });
      await authErrorOf(sessions.mint(owner, { document: 'demo', permissions: ['read'] }));
      // So does expiry; the expired token then reads as unknown (dropped to make room), never as live.
      clock.advance(10_000);
      await sessions.mint(owner, { document: 'demo', permissions: ['read'] });
      expect(await sessions.liveCount('owner')).toBe(3);
      expect((await sessions.resolve(again.token)).ok).toBe(false);
    });

    it('keeps every field of a stored record, so fields added later persist with no store change', async () => {
      const { clock, sessions, store } = setup();
      const token = randomToken('sess_');
      const expiresAt = clock.now() + 60_000;
      const record = {
        document: 'demo',
        permissions: ['read'],
        agentName: 'owner',
        createdAt: new Date(clock.now()).toISOString(),
        expiresAt: new Date(expiresAt).toISOString(),
        tables: { Orders: ['Item', 'Qty'] },
      };
      await store.add(sha256Hex(token), { agentName: 'owner', expiresAt, record: JSON.stringify(record) }, { now: clock.now(), limit: 10, keepUntil: expiresAt + 1000 });
      const resolved = await sessions.resolve(token);
      expect(resolved.ok).toBe(true);
      if (resolved.ok) expect((resolved.session as unknown as { tables: unknown }).tables).toEqual({ Orders: ['Item', 'Qty'] });
    });

    it('shares tokens between two handles on the store: minted on one, used and revoked on the other', async () => {
      const { sessions, elsewhere } = setup({ maxPerAgent: 2 });
      const there = elsewhere();
      const { token } = await sessions.mint(owner, { document: 'demo', permissions: ['read', 'write'] });
      const seen = await there.resolve(token);
      expect(seen.ok && seen.session.permissions).toEqual(['read', 'write']);
      await there.mint(owner, { document: 'demo', permissions: ['read'] });
      // The limit counts tokens minted through either handle.
      expect((await authErrorOf(sessions.mint(owner, { document: 'demo', permissions: ['read'] }))).code).toBe('RATE_LIMITED');
      expect(await there.revoke(token, 'owner')).toBe(true);
      expect(await sessions.resolve(token)).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
    });

    it('sees a revocation made through another handle at once, even for a token it has just resolved', async () => {
      const { sessions, elsewhere } = setup();
      const there = elsewhere();
      const a = await sessions.mint(owner, { document: 'demo', permissions: ['read'] });
      const b = await sessions.mint(owner, { document: 'sales', permissions: ['read'] });
      for (let i = 0; i < 3; i++) expect((await sessions.resolve(a.token)).ok).toBe(true);
      expect((await sessions.resolve(b.token)).ok).toBe(true);
      expect(await there.revoke(a.token, 'owner')).toBe(true);
      expect(await sessions.resolve(a.token)).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
      expect((await sessions.resolve(b.token)).ok).toBe(true);
      expect(await there.revokeAllFor('owner')).toBe(1);
      expect(await sessions.resolve(b.token)).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
      // And through its own handle, after resolving it.
      const c = await sessions.mint(owner, { document: 'demo', permissions: ['read'] });
      expect((await sessions.resolve(c.token)).ok).toBe(true);
      expect(await sessions.revokeAllFor('owner')).toBe(1);
      expect((await sessions.resolve(c.token)).ok).toBe(false);
    });

    it('never lets concurrent mints overrun the limit', async () => {
      const { sessions, elsewhere } = setup({ maxPerAgent: 5 });
      const there = elsewhere();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? sessions : there).mint(owner, { document: 'demo', permissions: ['read'] })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as AuthError).code).toBe('RATE_LIMITED');
    });

    it('stores digests only, never a plain token', async () => {
      const { sessions, raw } = setup();
      const { token } = await sessions.mint(owner, { document: 'demo', permissions: ['read'] });
      const text = await raw();
      if (kit.name !== 'memory') expect(text).toContain(sha256Hex(token));
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.slice(5));
    });
  });
}

describe.skipIf(!redisServerPath)('redis store expiry', () => {
  it('Redis drops an expired token by itself once the grace period is over (real time)', async () => {
    const store = track(new RedisSessionStore({ url: redis!.url, prefix: `ttl${++counter}:` }));
    const sessions = new SessionManager(store, { expiredGraceMs: 300 });
    const { token } = await sessions.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 1 });
    expect((await sessions.resolve(token)).ok).toBe(true);
    let last = await sessions.resolve(token);
    const seen = new Set<string>();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      last = await sessions.resolve(token);
      seen.add(last.ok ? 'ok' : last.code);
      if (!last.ok && last.code === 'INVALID_TOKEN') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen.has('TOKEN_EXPIRED')).toBe(true);
    expect(last).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
    await sessions.close();
  });
});

describe('the SQLite store between lookups', () => {
  it('sees a change written by another connection (another process) at the next lookup', async () => {
    const file = path.join(tmp, 'between.sqlite');
    const store = track(new SqliteSessionStore({ path: file }));
    const clock = fakeClock();
    const sessions = new SessionManager(store, { now: clock.now });
    const { token } = await sessions.mint(owner, { document: 'demo', permissions: ['read', 'write'] });
    expect((await sessions.resolve(token)).ok).toBe(true);
    const other = new Database(file);
    try {
      const digest = sha256Hex(token);
      // Another writer shortens the token's life: expired at once, as the store says.
      other.prepare('UPDATE sessions SET expires_at = ? WHERE digest = ?').run(clock.now(), digest);
      expect(await sessions.resolve(token)).toMatchObject({ ok: false, code: 'TOKEN_EXPIRED' });
      // ... then narrows its grant.
      const row = other.prepare<[string], { record: string }>('SELECT record FROM sessions WHERE digest = ?').get(digest)!;
      const record = { ...JSON.parse(row.record), permissions: ['read'] };
      other.prepare('UPDATE sessions SET expires_at = ?, record = ? WHERE digest = ?').run(clock.now() + 60_000, JSON.stringify(record), digest);
      const narrowed = await sessions.resolve(token);
      expect(narrowed.ok && narrowed.session.permissions).toEqual(['read']);
      other.prepare('DELETE FROM sessions WHERE digest = ?').run(digest);
      expect(await sessions.resolve(token)).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
    } finally {
      other.close();
      await sessions.close();
    }
  });
});

describe('store state reporting', () => {
  it('tells once when the store stops answering (503, not a bad token) and once when it answers again', async () => {
    const file = path.join(tmp, 'state.sqlite');
    const store = track(new SqliteSessionStore({ path: file, busyTimeoutMs: 50 }));
    const states: [boolean, string | undefined][] = [];
    const sessions = new SessionManager(store, { onStoreState: (available, reason) => states.push([available, reason]) });
    const { token } = await sessions.mint(owner, { document: 'demo', permissions: ['read'] });
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      for (let i = 0; i < 3; i++) {
        const err = await authErrorOf(sessions.mint(owner, { document: 'demo', permissions: ['read'] }));
        expect(err.code).toBe('UNAVAILABLE');
        expect(err.message).toBe(`session store unavailable: SQLite file ${file}: database is locked`);
      }
      expect((await sessions.health()).ok).toBe(false);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    await sessions.mint(owner, { document: 'demo', permissions: ['read'] });
    expect((await sessions.resolve(token)).ok).toBe(true);
    expect(states).toEqual([
      [false, `session store unavailable: SQLite file ${file}: database is locked`],
      [true, undefined],
    ]);
    await sessions.close();
  });
});

describe('periodic sweep', () => {
  it('runs on an unref()d timer, and close() stops it and closes the store', async () => {
    const clock = fakeClock();
    const store = new MemorySessionStore();
    const sessions = new SessionManager(store, { now: clock.now, sweepIntervalMs: 5, expiredGraceMs: 0 });
    const { token } = await sessions.mint(owner, { document: 'demo', permissions: ['read'], ttlSeconds: 1 });
    clock.advance(1_000);
    // No call touches the manager now: only its timer can sweep. Wait (event-driven, not a fixed sleep) until the timer has swept; bounded by the test timeout.
    while (await store.get(sha256Hex(token))) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await sessions.resolve(token)).toMatchObject({ code: 'INVALID_TOKEN' });
    await sessions.close();
    await sessions.close(); // idempotent
  });
});
