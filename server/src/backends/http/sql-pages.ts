/**
 * One page of records as one `POST /sql` statement: the caller's filter, the keyset position after the
 * cursor, Grist's sort order and the limit, all in SQL, so a page costs O(page) on Grist's side and one
 * request on the wire (decoded into the records shape by `sql-cells.ts`).
 *
 * The SQL must give exactly what `GET /records?filter=&sort=` gives (grist-api.md 4.2, 4.3). It is built
 * only where it provably does; otherwise {@link buildPageSql} answers undefined and the reader uses
 * `GET /records`:
 *
 * - filter: Grist compares decoded values with Python equality (`True == 1`, `3 == 3.0`, `"12.5" != 12.5`).
 *   Numbers and booleans become `c = ? AND typeof(c) IN ('integer','real')` (on number and text kinds
 *   only: `Any` keeps booleans as blobs), null `c IS NULL`, a list matches nothing; a string is
 *   expressible only on Text, Choice and Any columns (elsewhere alt text may be a marshalled blob), and an
 *   unknown column is left to Grist's own error.
 * - sort: Grist's `typedCompare` (boolean < number < null < string; strings by the `en-US` ICU collator;
 *   descending reverses; ties by manualSort then id). Every sort key is one expression that is never
 *   NULL, so the keyset condition compares runs of keys with one direction as row values
 *   (`(k1, k2) > (?, ?)`), evaluating each key once per row. Columns of number kinds (Numeric, Int, Bool,
 *   Date, DateTime, Ref, id, manualSort) sort as `ifnull(c, +inf)` (negated when descending, so it joins
 *   the ascending tie-breaks' row value). Text and Choice sort by a primary key: the text (`lower(c)`
 *   where upper case occurs) with each punctuation character that occurs in the column replaced by a code
 *   in the collator's own order (digits and case-folded letters already compare right), null as -1
 *   (below any text); where upper case occurs, then `c DESC` (the collator puts lowercase first among
 *   strings equal but for case). That is exact for printable ASCII. Lower-casing and replacing cost time
 *   per row, so they are done only where the column needs them (learned with {@link textFactsSql}).
 * - the check: every page row carries `__gg_unsafe`, 1 when any value of a sort column (or manualSort)
 *   is of an unexpected storage class, infinite, outside printable ASCII, holds punctuation not mapped or
 *   upper case not folded; the reader then learns the column's facts (once) or falls back. The check
 *   reads the whole table, so with a {@link VersionGate} (Grist's action history) it runs only when the
 *   document changed since it last passed.
 *   Flags (`naturalSort`, `emptyLast`, `orderByChoice`), colRef keys and other column types fall back.
 */
import type { CellValue, SortPosition } from '../../backend/types.js';
import { parseSort, type SortKey } from '../../engine/sort.js';
import type { DecodeColumn } from './sql-cells.js';

/** What one page asks for. */
export interface PageQuery {
  table: string;
  filter?: Record<string, CellValue[]> | undefined;
  /** Sort spec; absent = id order. */
  sort?: string | string[] | undefined;
  after?: SortPosition | undefined;
  /** Rows to return (positive). */
  limit: number;
  /** Only these columns (and the check columns), e.g. the sort columns for positions; default all. */
  select?: readonly string[] | undefined;
}

/** A statement for `POST /sql`. */
export interface PageSql {
  sql: string;
  args: (string | number | boolean | null)[];
  /**
   * When the order relies on assumptions about the values: every row carries `__gg_unsafe` (strip it;
   * 1 = do not trust the page), and this statement answers `{__gg_unsafe}` for an empty page.
   */
  guard?: string | undefined;
  /** Arguments of `guard`. */
  guardArgs?: PageSql['args'] | undefined;
  /** The check of the values (SQL), when there is one: with a {@link VersionGate}, the key of its verdict. */
  check?: string | undefined;
  /** The text sort columns (their facts can be learned with {@link textFactsSql}). */
  textColumns: string[];
}

/**
 * A scalar that changes with every change of the document, so a check of all values that passed can be
 * skipped while it holds. With a gate, guarded rows also carry `__gg_version` (the scalar; strip it).
 */
export interface VersionGate {
  /** SQL of the scalar (a subquery). */
  expr: string;
  /** The scalar's value when this exact check (SQL) last passed; undefined = run the check. */
  verified: (check: string) => string | undefined;
}

/** What is known of a text column's values (learned with {@link textFactsSql}). */
export interface TextFacts {
  /** Punctuation characters that occur. */
  chars: ReadonlySet<string>;
  /** Whether upper-case letters occur (else the text is its own collation key: no `lower()` per row). */
  cased: boolean;
}

/** Facts of text sort columns: column id -> facts. Unknown columns are assumed caseless, no punctuation. */
export type KnownText = ReadonlyMap<string, TextFacts>;

const NO_FACTS: TextFacts = { chars: new Set(), cased: false };

/** Column kinds whose storage orders like Grist's comparison. */
type SortClass = 'number' | 'text';

const NUMBER_TYPES = /^(Numeric|Int|Bool|Date|DateTime(:.*)?|Ref:.+|ManualSortPos|PositionNumber|Id)$/;
const TEXT_TYPES = /^(Text|Choice)$/;
const STRING_FILTER_TYPES = /^(Text|Choice|Any)$/;

/** `"Name"` with quotes doubled. */
export function quoteIdent(id: string): string {
  return `"${id.replace(/"/g, '""')}"`;
}

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The printable ASCII characters that are neither digits nor letters, in the order of Grist's collator
 * (`new Intl.Collator('en-US')`): computed here with the same ICU, so it cannot drift from it.
 */
const PUNCTUATION = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))
  .filter((c) => !/[0-9A-Za-z]/.test(c))
  .sort(new Intl.Collator('en-US').compare);

/** The collator rank of each punctuation character. */
const PUNCTUATION_RANK = new Map(PUNCTUATION.map((c, rank) => [c, rank]));

/**
 * The primary collation key of a printable-ASCII text expression: lower-cased (where upper case occurs),
 * each punctuation character of `chars` replaced by `char(1)` + a code that orders like the collator (all
 * below digits and letters).
 */
function textKey(expr: string, { chars, cased }: TextFacts): string {
  let out = cased ? `lower(${expr})` : expr;
  // Space sorts before every punctuation character: once any is mapped below digits, so is space.
  const mapped = chars.size === 0 ? [] : [' ', ...[...chars].filter((c) => c !== ' ')];
  for (const c of mapped) out = `replace(${out},${sqlString(c)},char(1,${0xc0 + (PUNCTUATION_RANK.get(c) ?? 0)}))`;
  return out;
}

/**
 * A GLOB character class matching anything but digits, lower-case letters, space, the punctuation in
 * `chars`, and upper-case letters where `cased`.
 */
function unexpectedClass({ chars: allowed, cased }: TextFacts): string {
  // Inside [...]: `]` must come first, `-` last; `[^...]` negates.
  const chars = [...allowed].filter((c) => c !== ']' && c !== '-' && c !== ' ');
  return `[^${allowed.has(']') ? ']' : ''} 0-9${cased ? 'A-Z' : ''}a-z${chars.join('').replace(/'/g, "''")}${allowed.has('-') ? '-' : ''}]`;
}

/** SQL's +infinity: the key of a null number (Grist sorts null after every number). */
const INF = '9e999';

/**
 * One ordering key: a SQL expression over the column (or over a bound cursor value) and its direction.
 * Keys never evaluate to NULL, so row values compare them with plain `=`, `<` and `>`.
 */
interface Key {
  expr: (c: string) => string;
  desc: boolean;
  col: string;
  value: (pos: SortPosition) => CellValue | undefined;
}

/** The last tie-break of every order: the row id. Methods, so no closure is made per statement. */
const ID_KEY: Key = {
  expr(c) {
    return c;
  },
  desc: false,
  col: '"id"',
  value(pos) {
    return pos.id;
  },
};

/** The cursor's value of the `i`-th sort key. */
function sortValueAt(i: number): Key['value'] {
  return (pos) => pos.values?.[i];
}

/**
 * Number kinds: one key, null as +infinity (numbers < null), negated when descending so that the key
 * ascends (which lets it share a row value with the ascending tie-breaks).
 */
function numberKeys(col: string, descending: boolean, value: Key['value']): Key[] {
  const key: Key = {
    expr(c) {
      return descending ? `-ifnull(${c},${INF})` : `ifnull(${c},${INF})`;
    },
    desc: false,
    col,
    value,
  };
  return [key];
}

/**
 * Text kinds: the primary collation key, then (where upper case occurs) the text itself reversed (lower
 * case first among strings equal but for case); null as -1, below every text (null < string).
 */
function textKeys(col: string, descending: boolean, facts: TextFacts, value: Key['value']): Key[] {
  const primary: Key = {
    expr(c) {
      return `ifnull(${textKey(c, facts)},-1)`;
    },
    desc: descending,
    col,
    value,
  };
  const byCase: Key = {
    expr(c) {
      return `ifnull(${c},-1)`;
    },
    desc: !descending,
    col,
    value,
  };
  return facts.cased ? [primary, byCase] : [primary];
}

function unsafeCondition(cls: SortClass, col: string, facts: TextFacts): string {
  return cls === 'number'
    ? `typeof(${col}) NOT IN ('integer','real','null') OR ${col} IN (${INF},-${INF})`
    : `typeof(${col}) NOT IN ('text','null') OR ${col} GLOB '*${unexpectedClass(facts)}*'`;
}

/** `(a, b)` for several expressions, `a` for one. */
function rowValue(exprs: string[]): string {
  return exprs.length === 1 ? (exprs[0] as string) : `(${exprs.join(',')})`;
}

/**
 * A statement answering, for each text column, whether all its values are printable ASCII text
 * (`ok_<i>`), which punctuation characters occur in it (`p_<i>`, one string) and whether upper case
 * does (`u_<i>`).
 */
export function textFactsSql(table: string, columns: readonly string[]): { sql: string; read: (row: Record<string, unknown>) => Map<string, TextFacts | undefined> } {
  const t = quoteIdent(table);
  const parts = columns.flatMap((col, i) => {
    const q = quoteIdent(col);
    const present = PUNCTUATION.filter((c) => c !== ' ').map((c) => `CASE WHEN max(instr(${q},${sqlString(c)})) > 0 THEN ${sqlString(c)} ELSE '' END`);
    return [
      `NOT EXISTS(SELECT 1 FROM ${t} WHERE typeof(${q}) NOT IN ('text','null') OR ${q} GLOB '*[^ -~]*') AS "ok_${i}"`,
      `${present.join(' || ')} AS "p_${i}"`,
      `ifnull(max(${q} GLOB '*[A-Z]*'),0) AS "u_${i}"`,
    ];
  });
  return {
    sql: `SELECT ${parts.join(', ')} FROM ${t}`,
    read: (row) =>
      new Map(
        columns.map((col, i) => [
          col,
          row[`ok_${i}`] === 1 ? { chars: new Set(String(row[`p_${i}`] ?? '').split('')), cased: row[`u_${i}`] !== 0 } : undefined,
        ]),
      ),
  };
}

function sortClass(key: SortKey, types: ReadonlyMap<string, string>): SortClass | undefined {
  if (typeof key.col !== 'string' || key.naturalSort || key.emptyLast || key.orderByChoice) return undefined;
  if (key.col === 'id' || key.col === 'manualSort') return 'number';
  const type = types.get(key.col);
  if (type === undefined) return undefined;
  if (NUMBER_TYPES.test(type)) return 'number';
  if (TEXT_TYPES.test(type)) return 'text';
  return undefined;
}

/** The filter as SQL, or undefined when it cannot be expressed exactly. */
function filterSql(filter: Record<string, CellValue[]> | undefined, types: ReadonlyMap<string, string>, args: PageSql['args']): string | undefined {
  const parts: string[] = [];
  for (const [col, values] of Object.entries(filter ?? {})) {
    const type = col === 'id' ? 'Id' : types.get(col);
    if (type === undefined || !Array.isArray(values)) return undefined; // let Grist report it
    const q = quoteIdent(col);
    const alternatives: string[] = [];
    for (const value of values) {
      if (value === null) alternatives.push(`${q} IS NULL`);
      else if (typeof value === 'number' || typeof value === 'boolean') {
        // Python equality (True == 1) also holds for booleans stored as blobs in Any columns: not in SQL.
        if (!NUMBER_TYPES.test(type) && !TEXT_TYPES.test(type)) return undefined;
        if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
        alternatives.push(`(${q} = ? AND typeof(${q}) IN ('integer','real'))`);
        args.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
      } else if (typeof value === 'string') {
        if (!STRING_FILTER_TYPES.test(type)) return undefined;
        alternatives.push(`(${q} = ? AND typeof(${q}) = 'text')`);
        args.push(value);
      } else if (!Array.isArray(value)) return undefined;
      // A list matches nothing (grist-api.md 4.2: ChoiceList cells cannot be matched).
    }
    parts.push(alternatives.length === 0 ? '0' : `(${alternatives.join(' OR ')})`);
  }
  return parts.length === 0 ? '1' : parts.join(' AND ');
}

/**
 * The statement for one page, or undefined when SQL cannot reproduce `GET /records` exactly for this
 * query (the reader then uses `GET /records`).
 */
export function buildPageSql(
  query: PageQuery,
  columns: readonly DecodeColumn[],
  text: KnownText = new Map(),
  gate?: VersionGate,
): PageSql | undefined {
  const types = new Map(columns.map((c) => [c.id, c.type]));
  const table = quoteIdent(query.table);
  const args: PageSql['args'] = [];
  const where = filterSql(query.filter, types, args);
  if (where === undefined) return undefined;

  const keys = query.sort === undefined ? [] : parseSort(query.sort);
  const all: Key[] = [];
  const unsafe: string[] = [];
  const textColumns: string[] = [];
  for (const [i, key] of keys.entries()) {
    const cls = sortClass(key, types);
    if (cls === undefined) return undefined;
    const col = quoteIdent(key.col as string);
    const facts = text.get(key.col as string) ?? NO_FACTS;
    if (cls === 'text') textColumns.push(key.col as string);
    if (key.col !== 'id') unsafe.push(unsafeCondition(cls, col, facts));
    const value = sortValueAt(i);
    all.push(...(cls === 'number' ? numberKeys(col, key.descending, value) : textKeys(col, key.descending, facts, value)));
  }
  const sorted = keys.length > 0;
  if (sorted) {
    // Grist's tie-break: manualSort ascending (checked to be numbers too), then id.
    const manualSort = '"manualSort"';
    if (!keys.some((k) => k.col === 'manualSort')) unsafe.push(unsafeCondition('number', manualSort, NO_FACTS));
    all.push(...numberKeys(manualSort, false, (pos) => pos.manualSort));
  }
  all.push(ID_KEY);
  const orderBy = all.map((k) => `${k.expr(k.col)} ${k.desc ? 'DESC' : 'ASC'}`).join(', ');

  let afterSql = '1';
  const afterArgs: PageSql['args'] = [];
  const after = query.after;
  if (after) {
    if (sorted && after.values === undefined) return undefined;
    // Runs of keys with one direction compare as row values: "strictly after" is
    // R1 > c1 OR (R1 = c1 AND (R2 < c2 OR (R2 = c2 AND ...))), one evaluation of each key per comparison.
    const runs: Key[][] = [];
    for (const k of all) {
      const last = runs.at(-1);
      if (last && (last[0] as Key).desc === k.desc) last.push(k);
      else runs.push([k]);
    }
    afterSql = strictlyAfter(runs, 0, { after, table, args: afterArgs });
  }
  const finalArgs = [...args, ...afterArgs, query.limit];
  const star = query.select ? query.select.map(quoteIdent).join(', ') : '*';
  if (unsafe.length === 0) {
    return { sql: `SELECT ${star} FROM ${table} WHERE (${where}) AND (${afterSql}) ORDER BY ${orderBy} LIMIT ?`, args: finalArgs, textColumns };
  }
  // The check is an uncorrelated subquery: SQLite evaluates it once per statement, not per row. It reads
  // the whole table, so with a version gate it is skipped while the document is unchanged since it passed.
  const check = `EXISTS(SELECT 1 FROM ${table} WHERE ${unsafe.join(' OR ')})`;
  let columnsSql = `${check} AS "__gg_unsafe"`;
  const gateArgs: PageSql['args'] = [];
  if (gate) {
    const verified = gate.verified(check);
    const unsafeSql = verified === undefined ? check : `CASE WHEN (${gate.expr}) IS ? THEN 0 ELSE ${check} END`;
    if (verified !== undefined) gateArgs.push(verified);
    columnsSql = `${unsafeSql} AS "__gg_unsafe", (${gate.expr}) AS "__gg_version"`;
  }
  return {
    sql: `SELECT ${star}, ${columnsSql} FROM ${table} WHERE (${where}) AND (${afterSql}) ORDER BY ${orderBy} LIMIT ?`,
    args: [...gateArgs, ...finalArgs],
    guard: `SELECT ${columnsSql}`,
    guardArgs: gateArgs,
    check,
    textColumns,
  };
}

/** Where the cursor's values go: its position, the quoted table, the statement's arguments so far. */
interface AfterValues {
  after: SortPosition;
  table: string;
  args: PageSql['args'];
}

/** SQL of the cursor's value of a key: a bound value, or its manualSort looked up by id (older cursors). */
function valueSql(k: Key, { after, table, args }: AfterValues): string {
  const v = k.value(after);
  if (v === undefined && k.col === '"manualSort"') {
    args.push(after.id);
    return k.expr(`(SELECT "manualSort" FROM ${table} WHERE "id" = ?)`);
  }
  args.push((v ?? null) as string | number | boolean | null);
  return k.expr('?');
}

/** "Strictly after the cursor" from run `r` on (see {@link buildPageSql}). */
function strictlyAfter(runs: readonly Key[][], r: number, at: AfterValues): string {
  const run = runs[r] as Key[];
  const lhs = rowValue(run.map((k) => k.expr(k.col)));
  const beyond = `${lhs} ${(run[0] as Key).desc ? '<' : '>'} ${rowValue(run.map((k) => valueSql(k, at)))}`;
  if (r === runs.length - 1) return beyond;
  const equal = `${lhs} = ${rowValue(run.map((k) => valueSql(k, at)))}`;
  return `(${beyond} OR (${equal} AND ${strictlyAfter(runs, r + 1, at)}))`;
}

/**
 * The rows with these ids (any order), each with `__gg_same`: 1 when the document's version (`versionSql`)
 * is still `version`.
 */
export function rowsByIdSql(table: string, ids: readonly number[], versionSql: string, version: string): PageSql {
  return {
    sql: `SELECT *, (${versionSql}) IS ? AS "__gg_same" FROM ${quoteIdent(table)} WHERE "id" IN (SELECT "value" FROM json_each(?))`,
    args: [version, JSON.stringify(ids)],
    textColumns: [],
  };
}
