/**
 * Session entries in this process's memory: the behaviour before shared stores (a token works only in
 * the process that minted it). For tests, and for a single gateway process that wants nothing on disk.
 */
import type { AddResult, SessionStore, StoreHealth, StoredSession } from './types.js';

/** A {@link SessionStore} in a Map. */
export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory' as const;
  readonly #entries = new Map<string, StoredSession>();
  /** Digests per agent, so per-agent work does not scan every entry. */
  readonly #byAgent = new Map<string, Set<string>>();

  async add(digest: string, entry: StoredSession, options: { now: number; limit: number }): Promise<AddResult> {
    const mine = this.#byAgent.get(entry.agentName) ?? new Set<string>();
    if (mine.size >= options.limit) {
      for (const d of [...mine]) {
        if ((this.#entries.get(d)?.expiresAt ?? 0) <= options.now) this.#remove(d);
      }
    }
    const live = this.#byAgent.get(entry.agentName)?.size ?? 0;
    if (live >= options.limit) return { ok: false, live };
    this.#entries.set(digest, { ...entry });
    const set = this.#byAgent.get(entry.agentName) ?? new Set<string>();
    set.add(digest);
    this.#byAgent.set(entry.agentName, set);
    return { ok: true };
  }

  async get(digest: string): Promise<StoredSession | undefined> {
    const entry = this.#entries.get(digest);
    return entry ? { ...entry } : undefined;
  }

  async delete(digest: string, agentName?: string): Promise<StoredSession | undefined> {
    const entry = this.#entries.get(digest);
    if (!entry || (agentName !== undefined && entry.agentName !== agentName)) return undefined;
    this.#remove(digest);
    return entry;
  }

  async deleteByAgent(agentName: string): Promise<number> {
    const mine = [...(this.#byAgent.get(agentName) ?? [])];
    for (const d of mine) this.#remove(d);
    return mine.length;
  }

  async countByAgent(agentName: string, now: number): Promise<number> {
    let live = 0;
    for (const d of this.#byAgent.get(agentName) ?? []) if ((this.#entries.get(d)?.expiresAt ?? 0) > now) live++;
    return live;
  }

  async sweep(cutoff: number): Promise<number> {
    let dropped = 0;
    for (const [digest, entry] of this.#entries) {
      if (entry.expiresAt <= cutoff) {
        this.#remove(digest);
        dropped++;
      }
    }
    return dropped;
  }

  async health(): Promise<StoreHealth> {
    return { store: 'memory', ok: true };
  }

  async close(): Promise<void> {
    // Nothing to release; entries stay usable (the store is the process's memory).
  }

  #remove(digest: string): void {
    const entry = this.#entries.get(digest);
    if (!entry) return;
    this.#entries.delete(digest);
    const set = this.#byAgent.get(entry.agentName);
    set?.delete(digest);
    if (set?.size === 0) this.#byAgent.delete(entry.agentName);
  }
}
