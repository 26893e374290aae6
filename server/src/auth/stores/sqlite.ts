/**
 * Session entries in a SQLite file: the default store, shared by every gateway process on one machine
 * that uses the same config (`serve`, each stdio `mcp` process, several local instances).
 *
 * WAL mode (readers never wait for the writer), a busy timeout (a writer waits for another process's
 * write instead of failing), and every write is one statement or one `BEGIN IMMEDIATE` transaction, so
 * concurrent processes never overrun the per-agent limit or see half a change. A file that stays locked
 * beyond the busy timeout, or cannot be written, makes the store unavailable (503), not the token bad.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SessionStoreUnavailableError, reasonOf } from './errors.js';
import type { AddResult, SessionStore, StoreHealth, StoredSession } from './types.js';

/** Options of {@link SqliteSessionStore}. */
export interface SqliteStoreOptions {
  /** The SQLite file (created with its folder when missing). */
  path: string;
  /** How long a write waits for another process's write, ms (default 5000). */
  busyTimeoutMs?: number;
}

/** Entries kept in memory between lookups (a few hundred bytes each). */
const MAX_RECENT = 1000;

/** Version of the table layout, kept in `PRAGMA user_version`. */
const LAYOUT_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS sessions (
  digest TEXT PRIMARY KEY,
  agent TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  record TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_agent ON sessions (agent, expires_at);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
`;

interface Row {
  agent: string;
  expires_at: number;
  record: string;
}

/** A {@link SessionStore} in one SQLite file. */
export class SqliteSessionStore implements SessionStore {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  readonly #db: Database.Database;
  readonly #stmts;
  readonly #add: (digest: string, entry: StoredSession, now: number, limit: number) => AddResult;
  readonly #dataVersion: Database.Statement<[], number>;
  /**
   * Entries read lately, by digest, trusted while `PRAGMA data_version` is unchanged: it changes as soon as
   * any other connection (another process, another handle) commits a change to the file. This handle's
   * own writes do not change it, so each of them forgets everything here. Every lookup still asks SQLite
   * for the version, so a revocation or change made anywhere is seen by the very next lookup; what is
   * saved is the row lookup and its copies (every call presenting a session token makes one).
   */
  readonly #recent = new Map<string, StoredSession>();
  #recentVersion = -1;
  #closed = false;

  /**
   * Opens (or creates) the file. Throws a plain Error naming the path when it cannot be created,
   * opened or written, so the gateway refuses to start rather than failing on the first token.
   */
  constructor(options: SqliteStoreOptions) {
    this.path = path.resolve(options.path);
    let db: Database.Database | undefined;
    try {
      fs.mkdirSync(path.dirname(this.path), { recursive: true });
      const existed = fs.existsSync(this.path);
      db = new Database(this.path, { timeout: options.busyTimeoutMs ?? 5000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(DDL);
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > LAYOUT_VERSION) throw new Error(`it was written by a newer grist-gateway (layout ${version})`);
      if (version < LAYOUT_VERSION) db.pragma(`user_version = ${LAYOUT_VERSION}`);
      // The file holds token digests and grants: readable by its owner only.
      if (!existed) fs.chmodSync(this.path, 0o600);
    } catch (err) {
      db?.close();
      throw new Error(
        `Cannot use the session store file ${this.path}: ${reasonOf(err)}. ` +
          'Make its folder writable, set sessions.path in the config to a writable file, or use sessions.store: memory.',
        { cause: err },
      );
    }
    this.#db = db;
    this.#stmts = {
      insert: db.prepare('INSERT OR REPLACE INTO sessions (digest, agent, expires_at, record) VALUES (?, ?, ?, ?)'),
      get: db.prepare<[string], Row>('SELECT agent, expires_at, record FROM sessions WHERE digest = ?'),
      deleteAny: db.prepare<[string], Row>('DELETE FROM sessions WHERE digest = ? RETURNING agent, expires_at, record'),
      deleteMine: db.prepare<[string, string], Row>('DELETE FROM sessions WHERE digest = ? AND agent = ? RETURNING agent, expires_at, record'),
      deleteByAgent: db.prepare('DELETE FROM sessions WHERE agent = ?'),
      deleteExpiredOf: db.prepare('DELETE FROM sessions WHERE agent = ? AND expires_at <= ?'),
      countAll: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM sessions WHERE agent = ?'),
      countLive: db.prepare<[string, number], { n: number }>('SELECT count(*) AS n FROM sessions WHERE agent = ? AND expires_at > ?'),
      sweep: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
      probe: db.prepare('SELECT 1 FROM sessions LIMIT 1'),
    };
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    // BEGIN IMMEDIATE: the write lock is taken before counting, so two processes cannot both pass the limit.
    this.#add = db.transaction((digest: string, entry: StoredSession, now: number, limit: number): AddResult => {
      if (this.#stmts.countAll.get(entry.agentName)!.n >= limit) this.#stmts.deleteExpiredOf.run(entry.agentName, now);
      const live = this.#stmts.countLive.get(entry.agentName, now)!.n;
      if (live >= limit) return { ok: false, live };
      this.#stmts.insert.run(digest, entry.agentName, entry.expiresAt, entry.record);
      return { ok: true };
    }).immediate;
  }

  /** Runs one operation, turning any SQLite failure into {@link SessionStoreUnavailableError}. */
  #run<T>(fn: () => T): T {
    if (this.#closed) throw new SessionStoreUnavailableError(`SQLite file ${this.path}: the store is closed`);
    try {
      return fn();
    } catch (err) {
      throw new SessionStoreUnavailableError(`SQLite file ${this.path}: ${reasonOf(err)}`, err);
    }
  }

  /** Runs one write of this handle: what was read before may no longer hold. */
  #write<T>(fn: () => T): T {
    this.#recent.clear();
    return this.#run(fn);
  }

  async add(digest: string, entry: StoredSession, options: { now: number; limit: number }): Promise<AddResult> {
    return this.#write(() => this.#add(digest, entry, options.now, options.limit));
  }

  async get(digest: string): Promise<StoredSession | undefined> {
    return this.#run(() => {
      const version = this.#dataVersion.get() as number;
      if (version !== this.#recentVersion) {
        this.#recent.clear();
        this.#recentVersion = version;
      }
      const known = this.#recent.get(digest);
      if (known !== undefined) return known;
      const entry = toEntry(this.#stmts.get.get(digest));
      // Only entries that exist are kept (unknown digests cost nothing to send); bounded.
      if (entry !== undefined) {
        if (this.#recent.size >= MAX_RECENT) this.#recent.clear();
        this.#recent.set(digest, entry);
      }
      return entry;
    });
  }

  async delete(digest: string, agentName?: string): Promise<StoredSession | undefined> {
    return toEntry(this.#write(() => (agentName === undefined ? this.#stmts.deleteAny.get(digest) : this.#stmts.deleteMine.get(digest, agentName))));
  }

  async deleteByAgent(agentName: string): Promise<number> {
    return this.#write(() => this.#stmts.deleteByAgent.run(agentName).changes);
  }

  async countByAgent(agentName: string, now: number): Promise<number> {
    return this.#run(() => this.#stmts.countLive.get(agentName, now)!.n);
  }

  async sweep(cutoff: number): Promise<number> {
    return this.#write(() => this.#stmts.sweep.run(cutoff).changes);
  }

  async health(): Promise<StoreHealth> {
    try {
      // Takes (and releases) the write lock: proves the file is writable and not stuck locked.
      this.#run(() => this.#db.transaction(() => this.#stmts.probe.get()).immediate());
      return { store: 'sqlite', ok: true, location: this.path };
    } catch (err) {
      return { store: 'sqlite', ok: false, location: this.path, error: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

function toEntry(row: Row | undefined): StoredSession | undefined {
  return row ? { agentName: row.agent, expiresAt: row.expires_at, record: row.record } : undefined;
}
