/** Agents (long-lived tokens from the config) and session tokens (short-lived, minted by agents). */
export { AgentRegistry } from './registry.js';
export type { Agent } from './registry.js';
export {
  SessionStore,
  DEFAULT_SESSION_TTL_SECONDS,
  MIN_SESSION_TTL_SECONDS,
  MAX_SESSION_TTL_SECONDS,
} from './sessions.js';
export type { Session, MintedSession, SessionRequest, SessionResolution, SessionStoreOptions } from './sessions.js';
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
