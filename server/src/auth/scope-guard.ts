/**
 * Enforcement of table/column scopes for one call: what each method needs ({@link checkScopedCall}) and what
 * its answer may show ({@link filterScopedOutput}); attachments are in `scope-attachments.ts`. The tRPC middleware in `trpc.ts` calls these once for every data method,
 * so MCP, the JSON proxy and `/trpc` share one implementation.
 *
 * Hidden tables and columns do not exist for a scoped token: a hidden name gets the same answer as a name
 * that does not exist, and no message, `details.valid` list or answer ever names a hidden table or column.
 */
import type { Permission } from '@grist-gateway/shared';
import type { DocBackend } from '../backend/types.js';
import { GatewayError } from '../errors.js';
import { requireAttachmentsNotHidden } from './scope-attachments.js';
import { namedTables, ScopeView, type ScopeLayers, type TableScope } from './scopes.js';

/** Columns every visible table has, whatever the scope: the row id (and Grist's hidden manual order). */
const ALWAYS_READABLE = new Set(['id', 'manualSort']);

/** Reads the document structure a scope needs and returns the token's view of it. */
export async function buildScopeView(layers: ScopeLayers, backend: DocBackend): Promise<ScopeView> {
  const tables = (await backend.listTables()).map((t) => t.id);
  const existing = new Set(tables);
  const wanted = [...namedTables(layers)].filter((t) => existing.has(t));
  const columns = new Map(await Promise.all(wanted.map(async (t) => [t, await backend.listColumns(t)] as const)));
  return new ScopeView(layers, { tables, columns });
}

/** Input fields the checks look at (every data method's input is an object; other fields are ignored). */
interface ScopedInput {
  table?: unknown;
  column_id?: unknown;
  filter?: unknown;
  sort?: unknown;
  records?: unknown;
  query?: unknown;
  args?: unknown;
}

/** What a refusal may list as valid choices: only for tokens that may read names (read or schema). */
function validList(permissions: ReadonlySet<Permission>, names: string[]): { valid?: string[] } {
  return permissions.has('read') || permissions.has('schema') ? { valid: names } : {};
}

/** Refuses a table the token cannot see, exactly as for a table that does not exist. */
function requireTable(view: ScopeView, table: string, permissions: ReadonlySet<Permission>, write: boolean): void {
  if (view.hasTable(table)) return;
  const message = `Table "${table}" not found in this token's scope`;
  throw new GatewayError(write ? 'UNAUTHORIZED' : 'NOT_FOUND', message, { table, ...validList(permissions, view.tables()) });
}

/** Refuses column names the token cannot see, naming only what the caller sent. */
function requireColumns(view: ScopeView, table: string, names: Iterable<string>, permissions: ReadonlySet<Permission>, what: string): void {
  const hidden = [...new Set(names)].filter((c) => !ALWAYS_READABLE.has(c) && !view.hasColumn(table, c));
  if (hidden.length === 0) return;
  const list = hidden.map((c) => `"${c}"`).join(', ');
  throw new GatewayError(
    'UNAUTHORIZED',
    `${what}: ${hidden.length === 1 ? 'column' : 'columns'} ${list} of table "${table}" not found in this token's scope`,
    { table, column: hidden[0], ...validList(permissions, view.columns(table)) },
  );
}

/** Refuses a method that needs the whole table (`"*"` in every scope). */
function requireWholeTable(view: ScopeView, table: string, method: string, permissions: ReadonlySet<Permission>): void {
  requireTable(view, table, permissions, true);
  if (!view.holdsWholeTable(table)) {
    throw new GatewayError('UNAUTHORIZED', `${method} needs the whole table "${table}" ("*" in the token's scope), not some of its columns`, { table });
  }
}

/** Column ids used by a sort spec (`"A,-B:naturalSort"` or a list of keys). Column numbers are refused. */
function sortColumns(sort: unknown): string[] {
  if (sort == null) return [];
  const parts = typeof sort === 'string' ? (sort.trim() === '' ? [] : sort.split(',')) : Array.isArray(sort) ? sort.map(String) : [];
  return parts.map((part) => {
    const body = part.startsWith('-') ? part.slice(1) : part;
    const colon = body.indexOf(':');
    const name = colon < 0 ? body : body.slice(0, colon);
    if (/^\d+$/.test(name)) {
      throw new GatewayError('UNAUTHORIZED', `sort: sort by column id, not by column number ("${name}"), with a token limited to some columns`);
    }
    return name;
  });
}

/** Field names of a list of records (`{...}` or `{fields: {...}}` / `{require: {...}}` entries). */
function recordKeys(records: unknown, ...parts: ('self' | 'fields' | 'require')[]): string[] {
  if (!Array.isArray(records)) return [];
  const keys: string[] = [];
  for (const record of records) {
    if (!record || typeof record !== 'object') continue;
    for (const part of parts) {
      const obj = part === 'self' ? record : (record as Record<string, unknown>)[part];
      if (obj && typeof obj === 'object') keys.push(...Object.keys(obj));
    }
  }
  return keys;
}

/**
 * Checks one call of a scoped token before it runs. Throws {@link GatewayError}: `NOT_FOUND` for a read of a
 * table the token cannot see, `UNAUTHORIZED` for anything else outside the scope.
 */
export async function checkScopedCall(
  method: string,
  rawInput: unknown,
  view: ScopeView,
  permissions: ReadonlySet<Permission>,
  backend: DocBackend,
): Promise<void> {
  const input = (rawInput && typeof rawInput === 'object' ? rawInput : {}) as ScopedInput;
  const table = typeof input.table === 'string' ? input.table : undefined;
  switch (method) {
    case 'list_tables':
      return;
    case 'describe_table':
      if (table !== undefined) requireTable(view, table, permissions, false);
      return;
    case 'get_records':
      if (table === undefined) return;
      requireTable(view, table, permissions, false);
      if (input.filter && typeof input.filter === 'object') requireColumns(view, table, Object.keys(input.filter), permissions, 'filter');
      requireColumns(view, table, sortColumns(input.sort), permissions, 'sort');
      return;
    case 'add_records':
    case 'update_records':
    case 'add_or_update_records':
      if (table === undefined) return;
      requireTable(view, table, permissions, true);
      requireColumns(
        view,
        table,
        recordKeys(input.records, ...(method === 'add_records' ? (['self'] as const) : (['fields', 'require'] as const))),
        permissions,
        'records',
      );
      await requireAttachmentsNotHidden(view, backend, table, input.records, method === 'add_records');
      return;
    case 'delete_records':
    case 'rename_table':
    case 'delete_table':
    case 'add_column':
      if (table !== undefined) requireWholeTable(view, table, method, permissions);
      return;
    case 'modify_column':
    case 'delete_column':
      if (table === undefined) return;
      requireWholeTable(view, table, method, permissions);
      if (typeof input.column_id === 'string') requireColumns(view, table, [input.column_id], permissions, 'column_id');
      return;
    case 'create_table':
      throw new GatewayError('UNAUTHORIZED', 'create_table needs a scope on the whole document; this token is limited to some tables');
    case 'sql_query':
      return checkSqlReads(view, typeof input.query === 'string' ? input.query : '', backend);
    default:
      // A method added to the registry without a scope rule: refuse rather than guess (fail closed).
      throw new GatewayError('UNAUTHORIZED', `${method} is not available to a token limited to some tables`);
  }
}

/**
 * `sql_query` for a scoped token: allowed only when the backend can prove which tables and columns the
 * statement reads (the embedded engine, from the compiled statement) and all of them are visible.
 */
async function checkSqlReads(view: ScopeView, query: string, backend: DocBackend): Promise<void> {
  if (!backend.sqlReads) {
    throw new GatewayError(
      'UNAUTHORIZED',
      'sql_query needs read on the whole document: this token is limited to some tables, and for a document on a ' +
        'Grist server the gateway cannot prove which tables a statement reads. Use get_records instead.',
    );
  }
  const reads = await backend.sqlReads(query);
  if (!reads.ok) throw new GatewayError('UNAUTHORIZED', `sql_query refused for a token limited to some tables: ${reads.why}. Use get_records instead.`);
  for (const [table, columns] of reads.tables) {
    if (!view.hasTable(table) || [...columns].some((c) => !ALWAYS_READABLE.has(c) && !view.hasColumn(table, c))) {
      throw new GatewayError(
        'UNAUTHORIZED',
        'sql_query refused: the statement reads a table or column outside this token\'s scope (name the columns you may read instead of using *)',
      );
    }
  }
}

/** Keeps only the visible keys of a flat record (`id`, visible columns, `_errors` of visible columns). */
function filterRecord(record: Record<string, unknown>, visible: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === 'id' || visible.has(key)) out[key] = value;
    else if (key === '_errors' && value && typeof value === 'object') {
      const errors = Object.fromEntries(Object.entries(value).filter(([c]) => visible.has(c)));
      if (Object.keys(errors).length > 0) out._errors = errors;
    }
  }
  return out;
}

/** Removes from a method's answer everything the token cannot see. */
export function filterScopedOutput(method: string, output: unknown, view: ScopeView, rawInput: unknown): unknown {
  if (!output || typeof output !== 'object') return output;
  const data = output as Record<string, unknown>;
  const table = rawInput && typeof rawInput === 'object' ? (rawInput as ScopedInput).table : undefined;
  switch (method) {
    case 'list_tables':
      return { ...data, tables: view.tables() };
    case 'describe_table': {
      if (typeof table !== 'string' || !Array.isArray(data.columns)) return data;
      const columns = (data.columns as { id: string; type: string; formula: string }[]).filter((c) => view.hasColumn(table, c.id));
      return {
        ...data,
        columns: columns.map((c) => {
          const reveals = view.revealsHidden(table, c.id);
          if (!reveals.type && !reveals.formula) return c;
          return {
            ...c,
            ...(reveals.type ? { type: c.type.startsWith('RefList:') ? 'Any' : 'Int' } : {}),
            ...(reveals.formula ? { formula: '' } : {}),
          };
        }),
      };
    }
    case 'get_records': {
      if (typeof table !== 'string' || !Array.isArray(data.records)) return data;
      const visible = new Set(view.columns(table));
      return { ...data, records: (data.records as Record<string, unknown>[]).map((r) => filterRecord(r, visible)) };
    }
    default:
      return data;
  }
}

/** Methods that need a table held with `"*"`. */
const WHOLE_TABLE_METHODS = new Set(['delete_records', 'rename_table', 'delete_table', 'add_column', 'modify_column', 'delete_column']);

/**
 * Whether a token with table scope `tables` on a document (undefined = every table) can use `method` there
 * at all, for tool listings: `create_table` needs the whole document, the methods above a `"*"` table, and
 * `sql_query` a backend that can prove what a statement reads.
 */
export function usableWithScope(method: string, tables: TableScope | undefined, backend: () => DocBackend): boolean {
  if (tables === undefined) return true;
  if (method === 'create_table') return false;
  if (WHOLE_TABLE_METHODS.has(method)) return tables.some((g) => g.columns === '*');
  if (method === 'sql_query') return typeof backend().sqlReads === 'function';
  return true;
}
