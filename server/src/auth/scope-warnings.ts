/**
 * Start-up check of table/column scopes against the documents: tables and columns a scope names that do
 * not exist are reported as warnings (documents change, so this is advice; every call checks again).
 */
import type { DocumentBackends } from '../context.js';
import type { Agent } from './registry.js';

/**
 * One warning per table or column named in an agent's `tables:` that the document does not have, e.g.
 * `tokens "orders-agent", document "sales": table "Orderz" does not exist (tables: Orders, Customers)`.
 * A document that cannot be read is reported once and skipped.
 */
export async function scopeWarnings(agents: readonly Agent[], backends: DocumentBackends): Promise<string[]> {
  const warnings: string[] = [];
  const structure = new Map<string, Promise<Map<string, string[]> | Error>>();
  const load = (document: string) => {
    let loaded = structure.get(document);
    if (!loaded) {
      loaded = (async () => {
        const backend = backends.get(document);
        const tables = await backend.listTables();
        return new Map(await Promise.all(tables.map(async (t) => [t.id, (await backend.listColumns(t.id)).map((c) => c.id)] as const)));
      })().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      structure.set(document, loaded);
    }
    return loaded;
  };
  const unreadable = new Set<string>();
  for (const agent of agents) {
    for (const document of agent.scopes.keys()) {
      const scope = agent.tablesFor(document);
      if (!scope || !backends.names().includes(document)) continue;
      const doc = await load(document);
      const where = `token "${agent.name}", document "${document}"`;
      if (doc instanceof Error) {
        if (!unreadable.has(document)) warnings.push(`document "${document}": cannot check table scopes (${doc.message})`);
        unreadable.add(document);
        continue;
      }
      for (const { table, columns } of scope) {
        const existing = doc.get(table);
        if (!existing) {
          warnings.push(`${where}: table "${table}" does not exist (tables: ${[...doc.keys()].join(', ') || 'none'})`);
          continue;
        }
        if (columns === '*') continue;
        const missing = columns.filter((c) => !existing.includes(c));
        if (missing.length > 0) {
          warnings.push(`${where}: table "${table}" has no column ${missing.map((c) => `"${c}"`).join(', ')} (columns: ${existing.join(', ') || 'none'})`);
        }
      }
    }
  }
  return warnings;
}
