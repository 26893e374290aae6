/**
 * Short-lived session tokens: an agent mints one for a single document and a subset of its permissions
 * there, and hands it to a script. This file holds every rule about them (what may be minted, when a
 * token is expired, who may revoke it, how long expired ones still answer "expired"); where they are
 * kept is a {@link SessionStore} (`./stores/`: memory, a SQLite file shared by local processes, or Redis
 * shared by instances on several machines). Only SHA-256 digests of tokens are ever stored.
 */
import { AuthError } from './errors.js';
import type { Agent } from './registry.js';
import type { Permission } from './permissions.js';
import { PERMISSIONS, isPermission, sortPermissions } from './permissions.js';
import { SessionStoreUnavailableError } from './stores/errors.js';
import type { SessionStore, StoreHealth } from './stores/types.js';
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

/**
 * A live session, as resolved from its token (the token itself is not part of it). Stored as JSON (dates
 * as ISO text) and read back with every field kept, so a field added here persists in every store with
 * no store change.
 */
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

/** What {@link SessionManager.mint} returns: the only time the plain token is available. */
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

/** Decoded session records kept in memory (a few hundred bytes each). */
const MAX_DECODED_SESSIONS = 1000;

/** Live session tokens one agent may hold when the config does not say (`sessions.max_per_agent`). */
export const DEFAULT_MAX_SESSIONS_PER_AGENT = 1000;
/**
 * How long an expired token keeps answering `TOKEN_EXPIRED` (rather than "unknown") before it is swept,
 * in ms. As long as the longest TTL, so a script that slept through its token's life is told why.
 */
export const EXPIRED_GRACE_MS = MAX_SESSION_TTL_SECONDS * 1000;

/**
 * Result of {@link SessionManager.resolve}. Messages show at most the token's first 8 characters.
 * `UNAVAILABLE` means the store could not be asked: the token may well be valid.
 */
export type SessionResolution =
  | { ok: true; session: Session }
  | { ok: false; code: 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'UNAVAILABLE'; message: string };

/** Options of {@link SessionManager}. */
export interface SessionManagerOptions {
  /** Clock in milliseconds since the epoch (default `Date.now`); tests inject one to move time. */
  now?: () => number;
  /** How often expired sessions are swept, in ms (default 60 000). Also the minimum gap between sweeps on access. */
  sweepIntervalMs?: number;
  /** Live tokens one agent may hold (default {@link DEFAULT_MAX_SESSIONS_PER_AGENT}). */
  maxPerAgent?: number;
  /** How long expired tokens answer `TOKEN_EXPIRED` before they are swept, ms (default {@link EXPIRED_GRACE_MS}). */
  expiredGraceMs?: number;
  /**
   * Told when the store stops answering (`available: false`, with the reason) and when it answers again,
   * once per change, so an operator sees one log line per outage rather than one per request.
   */
  onStoreState?: (available: boolean, reason?: string) => void;
}

/** Mints, resolves, revokes and sweeps session tokens over a {@link SessionStore}. */
export class SessionManager {
  readonly #store: SessionStore;
  readonly #now: () => number;
  readonly #sweepIntervalMs: number;
  readonly #maxPerAgent: number;
  readonly #graceMs: number;
  readonly #onStoreState: (available: boolean, reason?: string) => void;
  #storeDown = false;
  /**
   * Sessions already decoded from their stored record, by record text (with the expiry it was stored
   * with): the text alone determines the session, so a token presented again is not parsed again. The
   * store is still asked every time, so a revocation or expiry is seen at once.
   */
  readonly #decoded = new Map<string, { expiresAt: number; session: Session | undefined }>();
  #lastSweep: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Starts the periodic sweep (its timer is `unref()`'d so it never keeps the process alive). */
  constructor(store: SessionStore, options: SessionManagerOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.#maxPerAgent = options.maxPerAgent ?? DEFAULT_MAX_SESSIONS_PER_AGENT;
    this.#graceMs = options.expiredGraceMs ?? EXPIRED_GRACE_MS;
    this.#onStoreState = options.onStoreState ?? (() => {});
    this.#lastSweep = this.#now();
    this.#timer = setInterval(() => void this.sweep().catch(() => {}), this.#sweepIntervalMs);
    this.#timer.unref();
  }

  /** The store behind this manager. */
  get store(): SessionStore {
    return this.#store;
  }

  /**
   * Mints a session for `agent` on `request.document` with exactly `request.permissions` (deduplicated).
   * Throws {@link AuthError}: `INVALID_REQUEST` for an empty/unknown permission list, a missing document
   * name or a TTL outside 1..3600 s; `UNAUTHORIZED` for a document outside the agent's scope or a
   * permission the agent lacks there (never grants more than the agent has); `RATE_LIMITED` when the
   * agent already holds its maximum of live tokens; `UNAVAILABLE` when the store cannot be used.
   */
  async mint(agent: Agent, request: SessionRequest): Promise<MintedSession> {
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
    const session: Session = {
      document,
      permissions: [...permissions],
      agentName: agent.name,
      ...(scoped ? { tables: scoped.layers } : {}),
      createdAt: new Date(now),
      expiresAt,
    };
    const added = await this.#watch(this.#store.add(
      sha256Hex(token),
      { agentName: agent.name, expiresAt: expiresAt.getTime(), record: JSON.stringify(session) },
      { now, limit: this.#maxPerAgent, keepUntil: expiresAt.getTime() + this.#graceMs },
    ));
    if (!added.ok) {
      throw new AuthError(
        'RATE_LIMITED',
        `Agent "${agent.name}" already holds ${added.live} live session tokens (the limit is ${this.#maxPerAgent}, ` +
          'sessions.max_per_agent in the config): revoke tokens it no longer needs (revoke_session_token) or wait for them to expire',
      );
    }
    return { token, document, permissions: [...permissions], ...(scoped ? { tables: scoped.own } : {}), expiresAt: new Date(expiresAt) };
  }

  /**
   * The live session for `token`. Malformed, unknown and revoked tokens give `INVALID_TOKEN`; a session
   * at or past its expiry gives `TOKEN_EXPIRED`, every time, until it is swept (a grace period after
   * expiry). A store that cannot be asked gives `UNAVAILABLE`. Lookup is by the token's digest, so
   * lookup timing reveals nothing about stored tokens. Never throws.
   */
  async resolve(token: string): Promise<SessionResolution> {
    this.#maybeSweep();
    if (typeof token !== 'string' || token.length !== SESSION_TOKEN_LENGTH || !SESSION_TOKEN_SHAPE.test(token)) {
      return { ok: false, code: 'INVALID_TOKEN', message: 'Invalid session token: not a session token (expected "sess_" followed by 43 characters)' };
    }
    let entry;
    try {
      entry = await this.#watch(this.#store.get(sha256Hex(token)));
    } catch (err) {
      return { ok: false, code: 'UNAVAILABLE', message: unavailableMessage(err) };
    }
    const session = entry ? this.#decode(entry.record, entry.expiresAt) : undefined;
    if (!entry || !session) {
      return { ok: false, code: 'INVALID_TOKEN', message: `Invalid session token ${tokenHint(token)}: unknown or revoked` };
    }
    if (this.#now() >= entry.expiresAt) {
      return {
        ok: false,
        code: 'TOKEN_EXPIRED',
        message: `Session token ${tokenHint(token)} expired at ${new Date(entry.expiresAt).toISOString()}; mint a new one`,
      };
    }
    return { ok: true, session };
  }

  /**
   * Revokes the session of `token`. With `byAgent`, only a session minted by that agent is revoked.
   * Returns true when a live session was removed. Throws `UNAVAILABLE` when the store cannot be used.
   */
  async revoke(token: string, byAgent?: string): Promise<boolean> {
    this.#maybeSweep();
    if (typeof token !== 'string' || !SESSION_TOKEN_SHAPE.test(token)) return false;
    const removed = await this.#watch(this.#store.delete(sha256Hex(token), byAgent));
    return removed !== undefined && this.#now() < removed.expiresAt;
  }

  /** Revokes every session minted by `agentName`; returns how many were removed. */
  async revokeAllFor(agentName: string): Promise<number> {
    return this.#watch(this.#store.deleteByAgent(agentName));
  }

  /** Live tokens `agentName` holds now. */
  async liveCount(agentName: string): Promise<number> {
    return this.#watch(this.#store.countByAgent(agentName, this.#now()));
  }

  /** Drops every session expired for longer than the grace period; returns how many were dropped. */
  async sweep(): Promise<number> {
    const now = this.#now();
    this.#lastSweep = now;
    return this.#watch(this.#store.sweep(now - this.#graceMs));
  }

  /** Whether the store can be used now (for `/health`). */
  health(): Promise<StoreHealth> {
    return this.#store.health();
  }

  /** Stops the periodic sweep and closes the store. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#store.close();
  }

  /** Passes a store call through, noting when the store stops or starts answering. */
  async #watch<T>(call: Promise<T>): Promise<T> {
    try {
      const result = await call;
      if (this.#storeDown) {
        this.#storeDown = false;
        this.#onStoreState(true);
      }
      return result;
    } catch (err) {
      if (err instanceof SessionStoreUnavailableError && !this.#storeDown) {
        this.#storeDown = true;
        this.#onStoreState(false, err.message);
      }
      throw err;
    }
  }

  /** {@link sessionFromRecord}, once per record text and expiry (bounded: starts afresh when full). */
  #decode(record: string, expiresAt: number): Session | undefined {
    const known = this.#decoded.get(record);
    if (known !== undefined && known.expiresAt === expiresAt) return known.session;
    const session = sessionFromRecord(record, expiresAt);
    if (this.#decoded.size >= MAX_DECODED_SESSIONS) this.#decoded.clear();
    this.#decoded.set(record, { expiresAt, session });
    return session;
  }

  /** Sweeps in the background at most once per sweep interval of the (injected) clock. */
  #maybeSweep(): void {
    // A failed sweep is harmless (the next one catches up) and already reported through onStoreState.
    if (this.#now() - this.#lastSweep >= this.#sweepIntervalMs) void this.sweep().catch(() => {});
  }
}

/** The message of a store failure (the store's own text when it is one, else a generic one). */
function unavailableMessage(err: unknown): string {
  if (err instanceof SessionStoreUnavailableError) return err.message;
  return `session store unavailable: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
}

/**
 * The session of a stored record: every field kept (so fields added later survive), dates revived, the
 * essentials checked. Undefined for a record this version cannot trust (then the token is refused).
 */
function sessionFromRecord(text: string, expiresAt: number): Session | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const r = parsed as Record<string, unknown>;
  if (typeof r.document !== 'string' || r.document === '' || typeof r.agentName !== 'string') return undefined;
  if (!Array.isArray(r.permissions) || r.permissions.length === 0 || !r.permissions.every(isPermission)) return undefined;
  const createdAt = new Date(typeof r.createdAt === 'string' ? r.createdAt : Number.NaN);
  return Object.freeze({
    ...r,
    document: r.document,
    agentName: r.agentName,
    permissions: Object.freeze(sortPermissions(r.permissions as Permission[])),
    createdAt: Number.isNaN(createdAt.getTime()) ? new Date(expiresAt) : createdAt,
    expiresAt: new Date(expiresAt),
  });
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
