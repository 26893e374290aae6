/** The session stores and how the config picks one. */
import type { SessionsConfig } from '../../config/types.js';
import { MemorySessionStore } from './memory.js';
import { RedisSessionStore } from './redis.js';
import { SqliteSessionStore } from './sqlite.js';
import type { SessionStore } from './types.js';

export { MemorySessionStore } from './memory.js';
export { SqliteSessionStore } from './sqlite.js';
export type { SqliteStoreOptions } from './sqlite.js';
export { RedisSessionStore, redactRedisUrl } from './redis.js';
export type { RedisStoreOptions } from './redis.js';
export { SessionStoreUnavailableError } from './errors.js';
export type { AddResult, SessionStore, StoreHealth, StoredSession, StoreKind } from './types.js';

/**
 * Opens the store the config names. A SQLite file that cannot be created or written throws an Error
 * naming the path (the gateway does not start); a Redis that is down does not (it is retried, and calls
 * answer 503 until it is back).
 */
export function openSessionStore(config: SessionsConfig): SessionStore {
  switch (config.store) {
    case 'memory':
      return new MemorySessionStore();
    case 'sqlite':
      return new SqliteSessionStore({ path: config.path });
    case 'redis':
      return new RedisSessionStore({ url: config.url, ...(config.prefix !== undefined ? { prefix: config.prefix } : {}) });
  }
}
