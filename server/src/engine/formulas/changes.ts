/**
 * What a write changed, recorded by narrow hooks in the engine's write paths (records.ts, store.ts) so the
 * formula engine can recalculate only what is affected. Row-level: ids added/updated/removed per table and
 * the columns written; any schema change (store reload) is a flag that makes the formula engine resync.
 */

/** Changes of one table. */
export interface TableChanges {
  added: Set<number>;
  updated: Set<number>;
  removed: Set<number>;
  /** Columns written (update) */
  cols: Set<string>;
  /** Columns given by the adds (trigger formulas do not overwrite them). */
  given: Set<string>;
}

/** What writes changed since the formula engine last looked. */
export interface Changes {
  /** The schema changed. */
  schema: boolean;
  /** Row changes per table. */
  tables: Map<string, TableChanges>;
  /** Formula columns whose cells hold the values of their previous formula ({@link ChangeLog.staleFormula}). */
  stale: [tableId: string, colId: string][];
}

/** Collects the changes of writes since the last {@link ChangeLog.take}. */
export class ChangeLog {
  private tables = new Map<string, TableChanges>();
  private schema = false;
  private stale: [tableId: string, colId: string][] = [];
  /** While false (the formula engine writes its results), nothing is recorded. */
  enabled = true;

  private of(tableId: string): TableChanges {
    let t = this.tables.get(tableId);
    if (!t) {
      t = { added: new Set(), updated: new Set(), removed: new Set(), cols: new Set(), given: new Set() };
      this.tables.set(tableId, t);
    }
    return t;
  }

  /** Rows added with the given fields. */
  added(tableId: string, ids: readonly number[], given: readonly string[]): void {
    if (!this.enabled) { return; }
    const t = this.of(tableId);
    // A removed id added again stays in `removed` too: the formula engine drops the old row first.
    for (const id of ids) { t.added.add(id); }
    for (const c of given) { t.given.add(c); }
  }

  /** Cells of `cols` in rows `ids` written. */
  updated(tableId: string, ids: Iterable<number>, cols: readonly string[]): void {
    if (!this.enabled) { return; }
    const t = this.of(tableId);
    for (const id of ids) { t.updated.add(id); }
    for (const c of cols) { t.cols.add(c); }
  }

  /** Rows removed. */
  removed(tableId: string, ids: Iterable<number>): void {
    if (!this.enabled) { return; }
    const t = this.of(tableId);
    for (const id of ids) { t.removed.add(id); t.added.delete(id); t.updated.delete(id); }
  }

  /** The document's schema changed (tables, columns, types, formulas). */
  schemaChanged(): void {
    if (this.enabled) { this.schema = true; }
  }

  /**
   * The formula of a formula column changed and its cells still hold the old formula's values: the
   * formula engine overwrites them, or clears them if it cannot recalculate.
   */
  staleFormula(tableId: string, colId: string): void {
    if (this.enabled) { this.stale.push([tableId, colId]); }
  }

  /** Whether anything was recorded. */
  get empty(): boolean {
    return !this.schema && this.tables.size === 0 && this.stale.length === 0;
  }

  /** Returns and clears what was recorded. */
  take(): Changes {
    const out = { schema: this.schema, tables: this.tables, stale: this.stale };
    this.schema = false;
    this.tables = new Map();
    this.stale = [];
    return out;
  }

  /** Forgets what was recorded (a failed write kept nothing). */
  clear(): void {
    this.take();
  }
}
