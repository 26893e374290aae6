/**
 * Table and column scopes: which tables, and which columns of them, a token may use on a document.
 *
 * A scope is written as a mapping `{Orders: "*", Customers: ["Name", "City"]}` (config `tables:`,
 * `request_session_token`'s `tables`) and held as a list of {@link TableGrant}s, a plain JSON value that a
 * session store can keep as it is. A call may be limited by several scopes at once ({@link ScopeLayers}: the
 * agent's own and the narrower one of a session token); a column is visible only when every layer shows it.
 *
 * In one layer a column is shown when it is listed by name, or when its table is `"*"` and the column
 * cannot reveal anything the layer hides: a formula column (or a data column with a trigger formula) must
 * read only visible columns and whole visible tables (see `formula-reads.ts`), and a reference column must
 * point to a visible table. Listing a column by name is the operator's explicit choice and always shows it.
 */
import type { ColumnInfo } from '../backend/types.js';
import { AuthError } from './errors.js';
import { formulaReads } from './formula-reads.js';

/** Columns of one table in a scope: `"*"` (every column) or a non-empty list of column ids. */
export type ColumnSelection = '*' | readonly string[];

/** One table of a scope. */
export interface TableGrant {
  readonly table: string;
  readonly columns: ColumnSelection;
}

/** A table/column scope on one document (plain JSON: a list of {@link TableGrant}s). */
export type TableScope = readonly TableGrant[];

/** Every scope a call is limited by; all of them must allow a thing. Empty = the whole document. */
export type ScopeLayers = readonly TableScope[];

/** The written form of a scope: table id -> `"*"` or a list of column ids. */
export type TablesMapping = Record<string, '*' | string[]>;

/** Turns the written form into a {@link TableScope} (own keys only, in written order, lists deduplicated). */
export function scopeFromMapping(mapping: Readonly<Record<string, '*' | readonly string[]>>): TableScope {
  return Object.keys(mapping).map((table) => {
    const columns = mapping[table]!;
    return { table, columns: columns === '*' ? '*' : [...new Set(columns)] };
  });
}

/** Turns a scope back into its written form (for answers such as `request_session_token`). */
export function scopeToMapping(scope: TableScope): TablesMapping {
  return Object.fromEntries(scope.map((g) => [g.table, g.columns === '*' ? '*' : [...g.columns]])) as TablesMapping;
}

/** The columns a scope gives on `table`, or undefined when the table is not in it. */
export function grantOf(scope: TableScope, table: string): ColumnSelection | undefined {
  for (const grant of scope) if (grant.table === table) return grant.columns;
  return undefined;
}

/**
 * Why `requested` is not within `held` (an agent's scope on the document; undefined = the whole document),
 * one problem per offending table or column, naming only what `requested` names. Empty when it is a subset.
 */
export function subsetProblems(requested: TableScope, held: TableScope | undefined): string[] {
  if (held === undefined) return [];
  const problems: string[] = [];
  for (const { table, columns } of requested) {
    const has = grantOf(held, table);
    if (has === undefined) {
      problems.push(`tables.${table}: not in this agent's scope`);
    } else if (has !== '*') {
      if (columns === '*') {
        problems.push(`tables.${table}: "*" is wider than this agent's scope; list the columns`);
      } else {
        const missing = columns.filter((c) => !has.includes(c));
        if (missing.length > 0) problems.push(`tables.${table}: ${missing.map((c) => JSON.stringify(c)).join(', ')} not in this agent's scope`);
      }
    }
  }
  return problems;
}

/**
 * The scopes a new session token is limited by: the agent's own on the document (`held`, undefined = every
 * table) and the requested one. Returns undefined when neither limits it, else the layers and the token's
 * own scope (the requested one, else the agent's). Throws {@link AuthError} `UNAUTHORIZED` when `requested`
 * is not within `held` (no escalation), `INVALID_REQUEST` when it is empty or malformed.
 */
export function sessionScopeLayers(
  held: TableScope | undefined,
  requested: TableScope | undefined,
): { layers: TableScope[]; own: TableScope } | undefined {
  if (requested !== undefined) {
    if (!Array.isArray(requested) || requested.length === 0) {
      throw new AuthError('INVALID_REQUEST', 'tables: must name at least one table (leave it out to keep the agent\'s own scope)');
    }
    for (const grant of requested) {
      const ok =
        typeof grant?.table === 'string' && grant.table !== '' &&
        (grant.columns === '*' || (Array.isArray(grant.columns) && grant.columns.length > 0 && (grant.columns as readonly unknown[]).every((c) => typeof c === 'string' && c !== '')));
      if (!ok) throw new AuthError('INVALID_REQUEST', `tables.${String(grant?.table)}: must be "*" or a non-empty list of column ids`);
    }
    const problems = subsetProblems(requested, held);
    if (problems.length > 0) throw new AuthError('UNAUTHORIZED', `Cannot widen the scope: ${problems.join('; ')}`);
  }
  const layers = [held, requested].filter((s): s is TableScope => s !== undefined).map((s) => s.map((g) => ({ table: g.table, columns: g.columns === '*' ? ('*' as const) : [...g.columns] })));
  if (layers.length === 0) return undefined;
  return { layers, own: layers[layers.length - 1]! };
}

/** The document structure a {@link ScopeView} is computed from. */
export interface DocStructure {
  /** Every table id of the document. */
  tables: readonly string[];
  /** Visible (non-helper) columns of the tables that some layer names; other tables may be absent. */
  columns: ReadonlyMap<string, readonly ColumnInfo[]>;
}

/** The table a `Ref:X` / `RefList:X` column points to. */
function refTarget(type: string): string | undefined {
  const match = /^Ref(?:List)?:(.+)$/.exec(type);
  return match?.[1];
}

/** What one layer shows, computed lazily with memoisation (cycles count as hidden). */
class LayerVisibility {
  readonly #memo = new Map<string, boolean>();
  readonly #tableIds: ReadonlySet<string>;

  constructor(
    private readonly scope: TableScope,
    private readonly doc: DocStructure,
  ) {
    this.#tableIds = new Set(doc.tables);
  }

  table(table: string): boolean {
    return this.#tableIds.has(table) && grantOf(this.scope, table) !== undefined && this.doc.columns.has(table);
  }

  column(table: string, column: string): boolean {
    if (!this.table(table)) return false;
    const info = this.doc.columns.get(table)!.find((c) => c.id === column);
    if (!info) return false;
    const grant = grantOf(this.scope, table)!;
    if (grant !== '*') return grant.includes(column);
    const key = `${table}\u0000${column}`;
    const known = this.#memo.get(key);
    if (known !== undefined) return known;
    this.#memo.set(key, false); // a cycle through this column shows nothing
    const shown = this.#revealsOnlyVisible(table, info);
    this.#memo.set(key, shown);
    return shown;
  }

  /** Every column of `table` is visible (what a formula naming the table may read). */
  wholeTable(table: string): boolean {
    return this.table(table) && this.doc.columns.get(table)!.every((c) => this.column(table, c.id));
  }

  #revealsOnlyVisible(table: string, info: ColumnInfo): boolean {
    const target = refTarget(info.fields.type);
    if (target !== undefined && !this.table(target)) return false;
    const formula = info.fields.formula ?? '';
    if (formula.trim() === '') return true;
    const found = formulaReads(formula, this.#tableIds);
    if (found.dynamic) return false;
    for (const read of found.reads) {
      if (read.kind === 'table') {
        if (!this.wholeTable(read.table)) return false;
      } else if (!this.#pathVisible(table, read.path)) {
        return false;
      }
    }
    return true;
  }

  /** `$A.B.C` from `table`: every column along the way visible; ending on a reference reads the whole target. */
  #pathVisible(table: string, path: readonly string[]): boolean {
    let current = table;
    for (let i = 0; i < path.length; i++) {
      const name = path[i]!;
      if (name === 'id') return true;
      if (!this.column(current, name)) return false;
      const info = this.doc.columns.get(current)!.find((c) => c.id === name)!;
      const target = refTarget(info.fields.type);
      if (target === undefined) return true; // what follows are methods of a plain value
      if (i === path.length - 1) return this.wholeTable(target); // the record itself
      current = target;
    }
    return true;
  }
}

/**
 * What a token limited by some {@link ScopeLayers} sees of one document at one moment. Hidden tables and
 * columns do not exist for it; every answer and error is filtered through this view.
 */
export class ScopeView {
  readonly #layers: LayerVisibility[];
  readonly #tables: string[];

  constructor(
    readonly layers: ScopeLayers,
    private readonly doc: DocStructure,
  ) {
    this.#layers = layers.map((scope) => new LayerVisibility(scope, doc));
    this.#tables = doc.tables.filter((t) => this.#layers.every((l) => l.table(t)));
  }

  /** The visible tables, in document order. */
  tables(): string[] {
    return [...this.#tables];
  }

  /** True when the table exists and every layer names it. */
  hasTable(table: string): boolean {
    return this.#tables.includes(table);
  }

  /** True when the column exists and every layer shows it. */
  hasColumn(table: string, column: string): boolean {
    return this.hasTable(table) && this.#layers.every((l) => l.column(table, column));
  }

  /** The visible columns of a visible table, in column order (empty for a hidden table). */
  columns(table: string): string[] {
    if (!this.hasTable(table)) return [];
    return this.doc.columns.get(table)!.map((c) => c.id).filter((c) => this.hasColumn(table, c));
  }

  /**
   * What the description of a visible column would reveal that the token cannot see (only possible for a
   * column the operator listed by name): a reference type pointing to a hidden table, or a formula that
   * names hidden tables or columns. `describe_table` shows such a type as `Int`/`Any` and such a formula as `""`.
   */
  revealsHidden(table: string, column: string): { type: boolean; formula: boolean } {
    const info = this.doc.columns.get(table)?.find((c) => c.id === column);
    if (!info) return { type: false, formula: false };
    const target = refTarget(info.fields.type);
    const formula = info.fields.formula ?? '';
    let formulaHidden = false;
    if (formula.trim() !== '') {
      const found = formulaReads(formula, new Set(this.doc.tables));
      formulaHidden =
        found.dynamic ||
        found.reads.some((read) =>
          read.kind === 'table' ? !this.hasTable(read.table) || this.columns(read.table).length !== this.doc.columns.get(read.table)!.length : !this.#pathVisible(table, read.path),
        );
    }
    return { type: target !== undefined && !this.hasTable(target), formula: formulaHidden };
  }

  /** Every column along `$A.B.C` from `table` is visible (a final reference column needs only to be visible). */
  #pathVisible(table: string, path: readonly string[]): boolean {
    let current = table;
    for (const name of path) {
      if (name === 'id') return true;
      if (!this.hasColumn(current, name)) return false;
      const target = refTarget(this.doc.columns.get(current)!.find((c) => c.id === name)!.fields.type);
      if (target === undefined) return true;
      if (!this.hasTable(target)) return false;
      current = target;
    }
    return true;
  }

  /** The column descriptions of the visible columns of a visible table (as the backend listed them). */
  columnInfos(table: string): ColumnInfo[] {
    if (!this.hasTable(table)) return [];
    return this.doc.columns.get(table)!.filter((c) => this.hasColumn(table, c.id));
  }

  /** True when every layer holds the table with `"*"` (needed to delete rows and change its schema). */
  holdsWholeTable(table: string): boolean {
    return this.hasTable(table) && this.layers.every((scope) => grantOf(scope, table) === '*');
  }
}

/** Tables that some layer names (the only ones whose columns a {@link ScopeView} needs). */
export function namedTables(layers: ScopeLayers): Set<string> {
  const names = new Set<string>();
  for (const scope of layers) for (const grant of scope) names.add(grant.table);
  return names;
}
