/** Agents (long-lived tokens from the config) and session tokens (short-lived, minted by agents). */
export { AgentRegistry } from './registry.js';
export type { Agent } from './registry.js';
export {
  SessionManager,
  DEFAULT_SESSION_TTL_SECONDS,
  MIN_SESSION_TTL_SECONDS,
  MAX_SESSION_TTL_SECONDS,
  DEFAULT_MAX_SESSIONS_PER_AGENT,
  EXPIRED_GRACE_MS,
} from './sessions.js';
export type { Session, MintedSession, SessionRequest, SessionResolution, SessionManagerOptions } from './sessions.js';
export {
  openSessionStore,
  MemorySessionStore,
  SqliteSessionStore,
  RedisSessionStore,
  SessionStoreUnavailableError,
} from './stores/index.js';
export type { SessionStore, StoreHealth, StoredSession, StoreKind } from './stores/index.js';
export { AuthError } from './errors.js';
export type { AuthErrorCode } from './errors.js';
export { PERMISSIONS, isPermission, sortPermissions } from './permissions.js';
export type { Permission } from './permissions.js';
export {
  generateAgentToken,
  sha256Hex,
  sha256Bytes,
  randomToken,
  tokenHint,
  AGENT_TOKEN_PREFIX,
  SESSION_TOKEN_PREFIX,
} from './tokens.js';
