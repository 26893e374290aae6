/**
 * Per-table write counters of one connection, kept by SQLite itself: a cached result about one table (the
 * kept orders of sorted pages) stays valid while that table is unchanged, whatever is written to the
 * others.
 *
 * A watched table gets TEMP triggers (this connection only, nothing is stored in the file) that count its
 * inserted, updated and deleted rows in a TEMP table, inside the writing transaction (a rolled-back write
 * counts nothing). Every write path of this connection is covered, the formula engine's included, without
 * hooks in the engine's code. What the triggers cannot see is covered by the rest of the version: a commit
 * by another connection changes `PRAGMA data_version` (then every table counts as changed), and a structure
 * change reloads the store's metadata (a new `store.tables`: a dropped and re-created table has lost its
 * triggers, so they are created again).
 */
import type Database from 'better-sqlite3';
import type { TableMeta } from './meta.js';
import { quoteIdent } from './schema.js';
import type { Store } from './store.js';

const COUNTERS = 'gg_table_writes';

/** SQL string literal of `text`. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The write counters of the tables watched on one connection. */
export class TableWriteCounters {
  /** The metadata the watched set belongs to; a new one (structure reload) empties it. */
  #tables: unknown;
  /** Structure reloads seen, part of every version. */
  #epoch = 0;
  readonly #watched = new Set<string>();
  #read: Database.Statement | undefined;

  /**
   * The version of `table`'s rows: equal versions mean nothing was written to the table in between. Run it
   * in a read transaction (on a fresh structure, as `Store.read` gives); the first call for a table starts
   * watching it.
   */
  version(store: Store, table: TableMeta): string {
    if (store.tables !== this.#tables) {
      this.#tables = store.tables;
      this.#watched.clear();
      this.#epoch++;
    }
    const db = store.db;
    if (!this.#watched.has(table.tableId)) this.#watch(db, table.tableId);
    this.#read ??= db.prepare(`SELECT n FROM temp.${COUNTERS} WHERE name = ?`).pluck();
    const count = this.#read.get(table.tableId) as number | undefined;
    const dataVersion = db.pragma('data_version', { simple: true }) as number;
    return `${this.#epoch}:${dataVersion}:${count ?? 0}`;
  }

  #watch(db: Database.Database, tableId: string): void {
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS ${COUNTERS} (name TEXT PRIMARY KEY, n INTEGER NOT NULL)`);
    db.prepare(`INSERT INTO temp.${COUNTERS} (name, n) VALUES (?, 0) ON CONFLICT (name) DO NOTHING`).run(tableId);
    // Trigger bodies may not qualify table names; a TEMP trigger finds the TEMP table unqualified.
    const bump = `UPDATE ${COUNTERS} SET n = n + 1 WHERE name = ${literal(tableId)}`;
    for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
      const name = quoteIdent(`gg_writes_${tableId}_${event.toLowerCase()}`);
      db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS ${name} AFTER ${event} ON main.${quoteIdent(tableId)} BEGIN ${bump}; END`);
    }
    this.#watched.add(tableId);
  }
}
