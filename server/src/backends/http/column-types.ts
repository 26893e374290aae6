/**
 * Cached column types per table, for decoding `/sql` rows (`sql-cells.ts`) and building page statements
 * (`sql-pages.ts`).
 *
 * Invalidation: every schema change made through this backend drops the table's entry; a `/sql` row
 * whose columns differ from the cached ones drops it too (someone else added, removed or renamed a
 * column); and an entry is trusted for at most {@link COLUMN_TYPES_TTL_MS}, which bounds how long a type
 * change made elsewhere (in the Grist UI) can go unnoticed.
 */
import { seg, type GristClient } from './client.js';
import { isObject, listAt } from './shapes.js';
import type { DecodeColumn } from './sql-cells.js';

/** How long cached column types are trusted. */
export const COLUMN_TYPES_TTL_MS = 5_000;

/** Column types of the tables of one document. */
export class ColumnTypes {
  readonly #cache = new Map<string, { columns: DecodeColumn[]; at: number }>();
  readonly #pending = new Map<string, Promise<DecodeColumn[]>>();

  constructor(
    private readonly client: GristClient,
    private readonly ttlMs = COLUMN_TYPES_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The table's columns (hidden ones included), from the cache or `GET /columns?hidden=true`. */
  async get(tableId: string): Promise<DecodeColumn[]> {
    const hit = this.#cache.get(tableId);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.columns;
    let pending = this.#pending.get(tableId);
    if (!pending) {
      pending = this.#load(tableId).finally(() => this.#pending.delete(tableId));
      this.#pending.set(tableId, pending);
    }
    return pending;
  }

  /** Forgets one table (or all, e.g. after a table rename). */
  invalidate(tableId?: string): void {
    if (tableId === undefined) this.#cache.clear();
    else this.#cache.delete(tableId);
  }

  async #load(tableId: string): Promise<DecodeColumn[]> {
    const path = `/tables/${seg(tableId)}/columns`;
    const answer = await this.client.json({ method: 'GET', path, query: { hidden: 'true' } });
    const columns = listAt(answer, 'columns', `GET ${path}`).flatMap((c): DecodeColumn[] => {
      if (!isObject(c) || typeof c['id'] !== 'string') return [];
      const type = isObject(c['fields']) && typeof c['fields']['type'] === 'string' ? c['fields']['type'] : 'Any';
      const id = c['id'];
      return [{ id, type, hidden: id === 'manualSort' || id.startsWith('gristHelper_') }];
    });
    this.#cache.set(tableId, { columns, at: this.now() });
    return columns;
  }
}
