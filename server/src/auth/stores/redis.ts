/**
 * Session entries in Redis, for gateway instances on several machines.
 *
 * Layout (`prefix` defaults to `grist-gateway:`):
 * - `<prefix>s:<digest>`: a hash `{agent, exp, rec}` (agent name, expiry in ms, the session record as
 *   JSON), with a Redis TTL of expiry + grace, so an expired token keeps answering "expired" until then
 *   and Redis drops it by itself (no sweep needed).
 * - `<prefix>a:<agent>`: a sorted set of the agent's digests scored by expiry, for the live-token count
 *   (`ZCOUNT (now +inf`) and revocation by agent.
 *
 * Every operation is one command or one Lua script (`EVAL`), so it is atomic across instances: the
 * per-agent limit cannot be overrun by concurrent mints, and a revoked token is gone for every instance
 * at once. The scripts touch keys derived from their arguments, so this needs one Redis server (with
 * replicas or Sentinel if wanted), not Redis Cluster.
 *
 * The client (`@redis/client`, the core of node-redis) reconnects by itself; while it is disconnected
 * commands fail at once (no offline queue) and a command that gets no answer fails after a timeout, so
 * callers get `503 UNAVAILABLE` quickly and service resumes when Redis is back.
 */
import { createClient } from '@redis/client';
import { SessionStoreUnavailableError, reasonOf } from './errors.js';
import type { AddResult, SessionStore, StoreHealth, StoredSession } from './types.js';

/** Options of {@link RedisSessionStore}. */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port/db` (or `rediss://` for TLS). */
  url: string;
  /** Key prefix (default `grist-gateway:`). */
  prefix?: string;
  /** How long one command may take before the store counts as unavailable, ms (default 2000). */
  commandTimeoutMs?: number;
}

/** Adds an entry under the per-agent limit, dropping the agent's expired entries first when at the limit. */
const ADD_SCRIPT = `
local limit = tonumber(ARGV[6])
local now = tonumber(ARGV[5])
local total = redis.call('ZCARD', KEYS[2])
if total >= limit then
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
  for _, d in ipairs(expired) do redis.call('DEL', ARGV[8] .. d) end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  total = redis.call('ZCARD', KEYS[2])
  if total >= limit then return total end
end
local ttl = tonumber(ARGV[7])
redis.call('HSET', KEYS[1], 'agent', ARGV[2], 'exp', ARGV[3], 'rec', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return -1
`;

/** Deletes an entry (only when minted by ARGV[1], unless ARGV[1] is empty) and returns it. */
const DELETE_SCRIPT = `
local e = redis.call('HMGET', KEYS[1], 'agent', 'exp', 'rec')
if not e[1] then return nil end
if ARGV[1] ~= '' and e[1] ~= ARGV[1] then return nil end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[2] .. e[1], ARGV[3])
return e
`;

/** Deletes every entry of the agent whose sorted set is KEYS[1]. */
const DELETE_BY_AGENT_SCRIPT = `
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local n = 0
for _, d in ipairs(members) do n = n + redis.call('DEL', ARGV[1] .. d) end
redis.call('DEL', KEYS[1])
return n
`;

/** The URL without user name or password, for messages and `/health`. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/** A {@link SessionStore} in Redis. */
export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis' as const;
  readonly #client;
  readonly #prefix: string;
  readonly #location: string;
  readonly #connecting: Promise<unknown>;
  readonly #timeoutMs: number;
  #lastError: string | undefined;
  #everReady = false;
  #closed = false;

  /** Creates the client and starts connecting in the background (a Redis that is down is not fatal). */
  constructor(options: RedisStoreOptions) {
    this.#prefix = options.prefix ?? 'grist-gateway:';
    this.#location = redactRedisUrl(options.url);
    this.#timeoutMs = options.commandTimeoutMs ?? 2000;
    this.#client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandOptions: { timeout: this.#timeoutMs },
      socket: {
        connectTimeout: this.#timeoutMs,
        // Keep trying for ever, at most once a second: service resumes on its own when Redis is back.
        reconnectStrategy: (retries: number) => Math.min(100 * (retries + 1), 1000),
      },
    });
    // Without a listener node-redis would crash the process on a connection error.
    this.#client.on('error', (err: unknown) => {
      this.#lastError = reasonOf(err);
    });
    this.#client.on('ready', () => {
      this.#lastError = undefined;
      this.#everReady = true;
    });
    this.#connecting = this.#client.connect().catch((err: unknown) => {
      this.#lastError = reasonOf(err);
    });
  }

  /** Resolves once the first connection attempt succeeded (or the client gave up); for tests and startup. */
  async ready(timeoutMs = 5000): Promise<boolean> {
    await Promise.race([this.#connecting, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    return this.#client.isReady;
  }

  #sessionKey(digest: string): string {
    return `${this.#prefix}s:${digest}`;
  }

  #agentKey(agentName: string): string {
    return `${this.#prefix}a:${agentName}`;
  }

  /** Runs one Redis operation, turning any failure into {@link SessionStoreUnavailableError}. */
  async #run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new SessionStoreUnavailableError(`Redis at ${this.#location}: the store is closed`);
    // Right after start-up the first connection may still be on its way: wait for it (bounded) rather
    // than failing the first calls. Later disconnections fail at once, until the client reconnects.
    if (!this.#everReady && !this.#client.isReady) await this.ready(this.#timeoutMs);
    try {
      return await fn();
    } catch (err) {
      const reason = this.#client.isReady ? reasonOf(err) : `not connected (${this.#lastError ?? reasonOf(err)})`;
      throw new SessionStoreUnavailableError(`Redis at ${this.#location}: ${reason}`, err);
    }
  }

  async add(digest: string, entry: StoredSession, options: { now: number; limit: number; keepUntil: number }): Promise<AddResult> {
    const ttl = Math.max(1, Math.ceil(options.keepUntil - options.now));
    const reply = await this.#run(() =>
      this.#client.eval(ADD_SCRIPT, {
        keys: [this.#sessionKey(digest), this.#agentKey(entry.agentName)],
        arguments: [
          digest,
          entry.agentName,
          String(entry.expiresAt),
          entry.record,
          String(options.now),
          String(options.limit),
          String(ttl),
          `${this.#prefix}s:`,
        ],
      }),
    );
    const n = Number(reply);
    return n < 0 ? { ok: true } : { ok: false, live: n };
  }

  async get(digest: string): Promise<StoredSession | undefined> {
    const hash = await this.#run(() => this.#client.hGetAll(this.#sessionKey(digest)));
    return toEntry([hash.agent, hash.exp, hash.rec]);
  }

  async delete(digest: string, agentName?: string): Promise<StoredSession | undefined> {
    const reply = await this.#run(() =>
      this.#client.eval(DELETE_SCRIPT, {
        keys: [this.#sessionKey(digest)],
        arguments: [agentName ?? '', `${this.#prefix}a:`, digest],
      }),
    );
    return Array.isArray(reply) ? toEntry(reply) : undefined;
  }

  async deleteByAgent(agentName: string): Promise<number> {
    const reply = await this.#run(() =>
      this.#client.eval(DELETE_BY_AGENT_SCRIPT, { keys: [this.#agentKey(agentName)], arguments: [`${this.#prefix}s:`] }),
    );
    return Number(reply);
  }

  async countByAgent(agentName: string, now: number): Promise<number> {
    return this.#run(() => this.#client.zCount(this.#agentKey(agentName), `(${now}`, '+inf'));
  }

  /** Redis drops entries by their TTL; nothing to sweep. */
  async sweep(): Promise<number> {
    return 0;
  }

  async health(): Promise<StoreHealth> {
    try {
      await this.#run(() => this.#client.ping());
      return { store: 'redis', ok: true, location: this.#location };
    } catch (err) {
      return { store: 'redis', ok: false, location: this.#location, error: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // destroy(): drop the connection and stop reconnecting now (close() would wait for a Redis that may be gone).
    this.#client.destroy();
    await this.#connecting;
  }
}

/** Builds an entry from `[agent, exp, rec]` as Redis returns them; undefined when absent or incomplete. */
function toEntry(fields: readonly unknown[]): StoredSession | undefined {
  const [agentName, exp, record] = fields.map((f) => (f === null || f === undefined ? undefined : String(f)));
  if (agentName === undefined || exp === undefined || record === undefined) return undefined;
  const expiresAt = Number(exp);
  if (!Number.isFinite(expiresAt)) return undefined;
  return { agentName, expiresAt, record };
}
