/**
 * The persistence behind session tokens: a {@link SessionStore} keeps `digest -> entry + expiry` and
 * nothing else. What a session means (minting rules, expiry answers, revocation by agent) lives in
 * `../sessions.ts`; a store never sees a plain token, only the SHA-256 hex digest of one.
 */

/** One stored session, as the store keeps it. */
export interface StoredSession {
  /** Name of the agent that minted it (indexed: per-agent counts and revocation). */
  agentName: string;
  /** Expiry, ms since the epoch (indexed: sweeping and live counts). */
  expiresAt: number;
  /**
   * The whole session record as JSON text, kept verbatim. Fields added to the session later (e.g. a
   * table scope) persist without any store change.
   */
  record: string;
}

/** Result of {@link SessionStore.add}. */
export type AddResult = { ok: true } | { ok: false; live: number };

/** How the store is doing, for `/health`. */
export interface StoreHealth {
  /** Which store (`memory`, `sqlite`, `redis`). */
  store: StoreKind;
  /** False when the store cannot be reached or written. */
  ok: boolean;
  /** Where it is (file path, or Redis URL without credentials); absent for memory. */
  location?: string;
  /** Why it is not ok (no secrets). */
  error?: string;
}

/** The store implementations. */
export type StoreKind = 'memory' | 'sqlite' | 'redis';

/**
 * A dumb, shared persistence of session entries keyed by token digest. Every method may reject with
 * {@link SessionStoreUnavailableError} when the backing store cannot be used; they never throw for
 * "not found". Times are passed in by the caller (so one injected clock rules every store).
 */
export interface SessionStore {
  readonly kind: StoreKind;
  /**
   * Adds an entry, atomically with the per-agent limit: when the agent already holds `limit` live
   * entries (expiresAt > now), nothing is added and `{ok: false, live}` is returned. When the agent's
   * stored entries (live + expired, not yet swept) reach `limit`, its expired ones are dropped first, so
   * one agent never holds more than `limit` entries. `keepUntil` (>= expiresAt) is when the entry may
   * disappear by itself (expired entries stay until then so they answer "expired", not "unknown").
   */
  add(digest: string, entry: StoredSession, options: { now: number; limit: number; keepUntil: number }): Promise<AddResult>;
  /** The entry of `digest`, or undefined. */
  get(digest: string): Promise<StoredSession | undefined>;
  /** Deletes the entry of `digest` (only when minted by `agentName`, if given); returns what was deleted. */
  delete(digest: string, agentName?: string): Promise<StoredSession | undefined>;
  /** Deletes every entry of `agentName`; returns how many. */
  deleteByAgent(agentName: string): Promise<number>;
  /** How many live entries (expiresAt > now) `agentName` holds. */
  countByAgent(agentName: string, now: number): Promise<number>;
  /** Drops entries with expiresAt <= `cutoff`; returns how many (0 when the store expires entries itself). */
  sweep(cutoff: number): Promise<number>;
  /** Checks the store can be used now. Never rejects. */
  health(): Promise<StoreHealth>;
  /** Releases connections and files. */
  close(): Promise<void>;
}
