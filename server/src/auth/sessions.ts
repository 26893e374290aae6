/**
 * Short-lived session tokens: an agent mints one for a single document and a subset of its permissions
 * there, and hands it to a script. Held in memory only (per process), as SHA-256 digests.
 */
import { AuthError } from './errors.js';
import type { Agent } from './registry.js';
import type { Permission } from './permissions.js';
import { PERMISSIONS, isPermission, sortPermissions } from './permissions.js';
import { sessionScopeLayers, type ScopeLayers, type TableScope } from './scopes.js';
import { SESSION_TOKEN_PREFIX, randomToken, sha256Hex, tokenHint } from './tokens.js';

/** Default session lifetime in seconds. */
export const DEFAULT_SESSION_TTL_SECONDS = 300;
/** Shortest allowed session lifetime in seconds. */
export const MIN_SESSION_TTL_SECONDS = 1;
/** Longest allowed session lifetime in seconds. */
export const MAX_SESSION_TTL_SECONDS = 3600;

/** Length of a session token: `sess_` + base64url of 32 bytes (43 characters). */
const SESSION_TOKEN_LENGTH = SESSION_TOKEN_PREFIX.length + 43;
const SESSION_TOKEN_SHAPE = /^sess_[A-Za-z0-9_-]{43}$/;

/** A live session, as resolved from its token (the token itself is not part of it). */
export interface Session {
  /** Document config name the session is scoped to. */
  readonly document: string;
  /** Granted permissions, non-empty, canonical order. */
  readonly permissions: readonly Permission[];
  /** Name of the agent that minted it. */
  readonly agentName: string;
  /** Table/column scopes the session is limited by (the agent's, then the requested one); absent = every table. */
  readonly tables?: ScopeLayers;
  /** When it was minted. */
  readonly createdAt: Date;
  /** When it stops being accepted. */
  readonly expiresAt: Date;
}

/** What {@link SessionStore.mint} returns: the only time the plain token is available. */
export interface MintedSession {
  /** `sess_...` token to give to the script (not stored anywhere). */
  token: string;
  /** Document config name. */
  document: string;
  /** Granted permissions, canonical order. */
  permissions: Permission[];
  /** The token's table/column scope (the requested one, else the agent's); absent = every table. */
  tables?: TableScope;
  /** Expiry time. */
  expiresAt: Date;
}

/** What an agent asks for when minting a session. */
export interface SessionRequest {
  /** Document config name; must be in the agent's scope. */
  document: string;
  /** Non-empty subset of the agent's permissions on the document. */
  permissions: readonly Permission[];
  /** Lifetime in whole seconds, 1..3600 (default 300). */
  ttlSeconds?: number;
  /** Table/column scope, within the agent's own on the document (default: the agent's own). */
  tables?: TableScope;
}

/** Result of {@link SessionStore.resolve}. Messages show at most the token's first 8 characters. */
export type SessionResolution =
  | { ok: true; session: Session }
  | { ok: false; code: 'INVALID_TOKEN' | 'TOKEN_EXPIRED'; message: string };

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  /** Clock in milliseconds since the epoch (default `Date.now`); tests inject one to move time. */
  now?: () => number;
  /** How often expired sessions are swept, in ms (default 60 000). Also the minimum gap between sweeps on access. */
  sweepIntervalMs?: number;
}

/** In-memory store of session tokens, keyed by the SHA-256 hex digest of each token. */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;
  readonly #sweepIntervalMs: number;
  #lastSweep: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Starts the periodic sweep (its timer is `unref()`'d so it never keeps the process alive). */
  constructor(options: SessionStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.#lastSweep = this.#now();
    this.#timer = setInterval(() => this.sweep(), this.#sweepIntervalMs);
    this.#timer.unref();
  }

  /**
   * Mints a session for `agent` on `request.document` with exactly `request.permissions` (deduplicated).
   * Throws {@link AuthError}: `INVALID_REQUEST` for an empty/unknown permission list, a missing document
   * name or a TTL outside 1..3600 s; `UNAUTHORIZED` for a document outside the agent's scope or a
   * permission the agent lacks there (never grants more than the agent has).
   */
  mint(agent: Agent, request: SessionRequest): MintedSession {
    const { document } = request;
    if (typeof document !== 'string' || document === '') {
      throw new AuthError('INVALID_REQUEST', 'document: a document name is required');
    }
    const permissions = validatePermissions(request.permissions);
    const ttlSeconds = validateTtl(request.ttlSeconds);

    const held = agent.permissionsFor(document);
    if (held.length === 0) {
      throw new AuthError('UNAUTHORIZED', `Agent "${agent.name}" has no access to document "${document}"`);
    }
    const missing = permissions.filter((p) => !agent.can(document, p));
    if (missing.length > 0) {
      throw new AuthError(
        'UNAUTHORIZED',
        `Agent "${agent.name}" lacks ${missing.map((p) => `"${p}"`).join(', ')} permission on document "${document}" (has: ${held.join(', ')})`,
      );
    }

    const scoped = sessionScopeLayers(agent.tablesFor(document), request.tables);

    this.#maybeSweep();
    const now = this.#now();
    const token = randomToken(SESSION_TOKEN_PREFIX);
    const expiresAt = new Date(now + ttlSeconds * 1000);
    this.#sessions.set(
      sha256Hex(token),
      Object.freeze({
        document,
        permissions: Object.freeze([...permissions]),
        agentName: agent.name,
        ...(scoped ? { tables: scoped.layers } : {}),
        createdAt: new Date(now),
        expiresAt,
      }),
    );
    return { token, document, permissions: [...permissions], ...(scoped ? { tables: scoped.own } : {}), expiresAt: new Date(expiresAt) };
  }

  /**
   * The live session for `token`. Malformed, unknown and revoked tokens give `INVALID_TOKEN`; a session
   * at or past its expiry gives `TOKEN_EXPIRED` (and is dropped). Lookup is by the token's digest, so
   * lookup timing reveals nothing about stored tokens.
   */
  resolve(token: string): SessionResolution {
    this.#maybeSweep();
    if (typeof token !== 'string' || token.length !== SESSION_TOKEN_LENGTH || !SESSION_TOKEN_SHAPE.test(token)) {
      return { ok: false, code: 'INVALID_TOKEN', message: 'Invalid session token: not a session token (expected "sess_" followed by 43 characters)' };
    }
    const key = sha256Hex(token);
    const session = this.#sessions.get(key);
    if (!session) {
      return { ok: false, code: 'INVALID_TOKEN', message: `Invalid session token ${tokenHint(token)}: unknown or revoked` };
    }
    if (this.#now() >= session.expiresAt.getTime()) {
      this.#sessions.delete(key);
      return {
        ok: false,
        code: 'TOKEN_EXPIRED',
        message: `Session token ${tokenHint(token)} expired at ${session.expiresAt.toISOString()}; mint a new one`,
      };
    }
    return { ok: true, session };
  }

  /**
   * Revokes the session of `token`. With `byAgent`, only a session minted by that agent is revoked.
   * Returns true when a live session was removed.
   */
  revoke(token: string, byAgent?: string): boolean {
    this.#maybeSweep();
    if (typeof token !== 'string' || !SESSION_TOKEN_SHAPE.test(token)) return false;
    const key = sha256Hex(token);
    const session = this.#sessions.get(key);
    if (!session) return false;
    if (byAgent !== undefined && session.agentName !== byAgent) return false;
    this.#sessions.delete(key);
    return this.#now() < session.expiresAt.getTime();
  }

  /** Revokes every session minted by `agentName`; returns how many were removed. */
  revokeAllFor(agentName: string): number {
    let removed = 0;
    for (const [key, session] of this.#sessions) {
      if (session.agentName === agentName) {
        this.#sessions.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** Drops every expired session now; returns how many were dropped. */
  sweep(): number {
    const now = this.#now();
    this.#lastSweep = now;
    let dropped = 0;
    for (const [key, session] of this.#sessions) {
      if (now >= session.expiresAt.getTime()) {
        this.#sessions.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Number of stored sessions (expired ones count until swept). */
  get size(): number {
    return this.#sessions.size;
  }

  /** Stops the periodic sweep. The store keeps working (sweeping on access). */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Sweeps on access at most once per sweep interval of the (injected) clock, so access stays O(1) amortised. */
  #maybeSweep(): void {
    if (this.#now() - this.#lastSweep >= this.#sweepIntervalMs) this.sweep();
  }
}

/** Checks a requested permission list: an array, non-empty, known values; returns it deduplicated and sorted. */
function validatePermissions(requested: unknown): Permission[] {
  if (!Array.isArray(requested)) {
    throw new AuthError('INVALID_REQUEST', `permissions: must be a list of ${PERMISSIONS.join(', ')}`);
  }
  if (requested.length === 0) {
    throw new AuthError('INVALID_REQUEST', `permissions: must list at least one of ${PERMISSIONS.join(', ')} (an empty list grants nothing)`);
  }
  const bad = requested.filter((p) => !isPermission(p));
  if (bad.length > 0) {
    const shown = bad.map((p) => (typeof p === 'string' ? JSON.stringify(p.slice(0, 40)) : typeof p)).join(', ');
    throw new AuthError('INVALID_REQUEST', `permissions: ${shown} ${bad.length === 1 ? 'is' : 'are'} not one of ${PERMISSIONS.join(', ')}`);
  }
  return sortPermissions(requested as Permission[]);
}

/** Checks a requested TTL; returns the TTL in seconds (default when absent). */
function validateTtl(ttl: unknown): number {
  if (ttl === undefined) return DEFAULT_SESSION_TTL_SECONDS;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl)) {
    throw new AuthError('INVALID_REQUEST', `ttlSeconds: must be a whole number of seconds between ${MIN_SESSION_TTL_SECONDS} and ${MAX_SESSION_TTL_SECONDS}`);
  }
  if (ttl < MIN_SESSION_TTL_SECONDS) {
    throw new AuthError('INVALID_REQUEST', `ttlSeconds: must be at least ${MIN_SESSION_TTL_SECONDS} (got ${ttl})`);
  }
  if (ttl > MAX_SESSION_TTL_SECONDS) {
    throw new AuthError('INVALID_REQUEST', `ttlSeconds: must be at most ${MAX_SESSION_TTL_SECONDS} (got ${ttl})`);
  }
  return ttl;
}
