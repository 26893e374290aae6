/**
 * Token material: generation of agent tokens and the SHA-256 digests under which every token is stored.
 * Plain tokens are never kept in memory longer than needed to hash them.
 */
import { createHash, hash, randomBytes } from 'node:crypto';

/** Prefix of agent tokens made by {@link generateAgentToken} (config may hold tokens without it). */
export const AGENT_TOKEN_PREFIX = 'gga_';

/** Prefix of short-lived session tokens; reserved, so no agent token may start with it. */
export const SESSION_TOKEN_PREFIX = 'sess_';

/** Random bytes in a generated token (256 bits). */
const TOKEN_BYTES = 32;

/**
 * Lower-case hex SHA-256 digest of the UTF-8 encoding of `text`. One-shot `crypto.hash` (no Hash object per
 * call): it runs on every request that presents a session token.
 */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** Raw 32-byte SHA-256 digest of the UTF-8 encoding of `text` (for constant-time comparison). */
export function sha256Bytes(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** A fresh random token (`prefix` + 32 random bytes, base64url, no padding). */
export function randomToken(prefix: string): string {
  return prefix + randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * A new agent token (`gga_` + 32 random bytes, base64url) and its SHA-256 hex digest, for
 * `grist-gateway token`: the digest goes into the config as `token_sha256`, the token is shown once.
 */
export function generateAgentToken(): { token: string; sha256: string } {
  const token = randomToken(AGENT_TOKEN_PREFIX);
  return { token, sha256: sha256Hex(token) };
}

/**
 * The first characters of a token, safe to show in messages and logs: at most 8 characters and at most
 * a quarter of the token, so a short (malformed or weak) token is never echoed whole. For a session
 * token this is the `sess_` prefix plus 3 random characters, far too little to guess the rest.
 */
export function tokenHint(token: string): string {
  const shown = Math.min(8, Math.floor(token.length / 4));
  return shown < token.length ? `${token.slice(0, shown)}…` : token;
}
