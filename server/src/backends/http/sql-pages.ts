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
 *   descending reverses; ties by manualSort then id). Columns of number kinds (Numeric, Int, Bool, Date,
 *   DateTime, Ref, id, manualSort) sort as `(c IS NULL), c`. Text and Choice sort as `(c IS NOT NULL)`,
 *   then a primary key: `lower(c)` with each punctuation character that occurs in the column replaced by
 *   a code in the collator's own order (digits and case-folded letters already compare right), then
 *   `c DESC` (the collator puts lowercase first among strings equal but for case). That is exact for
 *   printable ASCII. Replacing costs time per row, so only the punctuation known to occur in the column is
 *   mapped (learned with {@link punctuationSql}). Every page row carries `__gg_unsafe`: 1 when any value
 *   of a sort column is of an unexpected storage class, outside printable ASCII, or holds punctuation
 *   not mapped; the reader then learns the punctuation (once) or falls back.
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
  /** The text sort columns (their punctuation can be learned with {@link punctuationSql}). */
  textColumns: string[];
}

/** Punctuation known to occur in text columns: column id -> characters. */
export type KnownPunctuation = ReadonlyMap<string, ReadonlySet<string>>;

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
 * The primary collation key of a printable-ASCII text expression: lower-cased, each punctuation character
 * of `chars` replaced by `char(1)` + a code that orders like the collator (all below digits and letters).
 */
function textKey(expr: string, chars: ReadonlySet<string>): string {
  let out = `lower(${expr})`;
  // Space sorts before every punctuation character: once any is mapped below digits, so is space.
  const mapped = chars.size === 0 ? [] : [' ', ...[...chars].filter((c) => c !== ' ')];
  for (const c of mapped) out = `replace(${out},${sqlString(c)},char(1,${0xc0 + (PUNCTUATION_RANK.get(c) ?? 0)}))`;
  return out;
}

/** A GLOB character class matching printable ASCII other than digits, letters, space and `allowed`. */
function unexpectedClass(allowed: ReadonlySet<string>): string {
  // Inside [...]: `]` must come first, `-` last; `[^...]` negates.
  const chars = [...allowed].filter((c) => c !== ']' && c !== '-' && c !== ' ');
  return `[^${allowed.has(']') ? ']' : ''} 0-9A-Za-z${chars.join('').replace(/'/g, "''")}${allowed.has('-') ? '-' : ''}]`;
}

/** One ordering term: a SQL expression over the column and whether it is reversed. */
interface Atom {
  expr: (col: string) => string;
  reversed: boolean;
}

const NUMBER_ATOMS: Atom[] = [
  { expr: (c) => `(${c} IS NULL)`, reversed: false },
  { expr: (c) => c, reversed: false },
];

function textAtoms(chars: ReadonlySet<string>): Atom[] {
  return [
    { expr: (c) => `(${c} IS NOT NULL)`, reversed: false },
    { expr: (c) => textKey(c, chars), reversed: false },
    { expr: (c) => c, reversed: true },
  ];
}

function unsafeCondition(cls: SortClass, col: string, chars: ReadonlySet<string>): string {
  return cls === 'number'
    ? `typeof(${col}) NOT IN ('integer','real','null')`
    : `(typeof(${col}) NOT IN ('text','null') OR ${col} GLOB '*${unexpectedClass(chars)}*')`;
}

/**
 * A statement answering, for each text column, whether all its values are printable ASCII text
 * (`ok_<i>`) and which punctuation characters occur in it (`p_<i>`, one string).
 */
export function punctuationSql(table: string, columns: readonly string[]): { sql: string; read: (row: Record<string, unknown>) => Map<string, Set<string> | undefined> } {
  const t = quoteIdent(table);
  const parts = columns.flatMap((col, i) => {
    const q = quoteIdent(col);
    const present = PUNCTUATION.filter((c) => c !== ' ').map((c) => `CASE WHEN max(instr(${q},${sqlString(c)})) > 0 THEN ${sqlString(c)} ELSE '' END`);
    return [`NOT EXISTS(SELECT 1 FROM ${t} WHERE typeof(${q}) NOT IN ('text','null') OR ${q} GLOB '*[^ -~]*') AS "ok_${i}"`, `${present.join(' || ')} AS "p_${i}"`];
  });
  return {
    sql: `SELECT ${parts.join(', ')} FROM ${t}`,
    read: (row) => new Map(columns.map((col, i) => [col, row[`ok_${i}`] === 1 ? new Set(String(row[`p_${i}`] ?? '').split('')) : undefined])),
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
export function buildPageSql(query: PageQuery, columns: readonly DecodeColumn[], punctuation: KnownPunctuation = new Map()): PageSql | undefined {
  const types = new Map(columns.map((c) => [c.id, c.type]));
  const table = quoteIdent(query.table);
  const args: PageSql['args'] = [];
  const where = filterSql(query.filter, types, args);
  if (where === undefined) return undefined;

  const keys = query.sort === undefined ? [] : parseSort(query.sort);
  const terms: { atom: Atom; col: string; descending: boolean; value: (pos: SortPosition) => CellValue | undefined }[] = [];
  const unsafe: string[] = [];
  const textColumns: string[] = [];
  for (const [i, key] of keys.entries()) {
    const cls = sortClass(key, types);
    if (cls === undefined) return undefined;
    const col = quoteIdent(key.col as string);
    const chars = punctuation.get(key.col as string) ?? new Set<string>();
    if (cls === 'text') textColumns.push(key.col as string);
    if (key.col !== 'id') unsafe.push(unsafeCondition(cls, col, chars));
    for (const atom of cls === 'number' ? NUMBER_ATOMS : textAtoms(chars)) {
      terms.push({ atom, col, descending: key.descending, value: (pos) => pos.values?.[i] });
    }
  }
  const sorted = keys.length > 0;
  // Grist's tie-break: manualSort ascending, then id (only id when unsorted: that is id order).
  const tieBreak: typeof terms = [];
  if (sorted) {
    tieBreak.push({ atom: NUMBER_ATOMS[0] as Atom, col: '"manualSort"', descending: false, value: (pos) => pos.manualSort });
    tieBreak.push({ atom: NUMBER_ATOMS[1] as Atom, col: '"manualSort"', descending: false, value: (pos) => pos.manualSort });
  }
  const all = [...terms, ...tieBreak, { atom: { expr: (c: string) => c, reversed: false }, col: '"id"', descending: false, value: (pos: SortPosition) => pos.id }];
  const orderBy = all.map((t) => `${t.atom.expr(t.col)} ${t.atom.reversed !== t.descending ? 'DESC' : 'ASC'}`).join(', ');

  let afterSql = '1';
  const afterArgs: PageSql['args'] = [];
  const after = query.after;
  if (after) {
    if (sorted && after.values === undefined) return undefined;
    // The cursor's value of each term: a bound value, or its manualSort looked up by id.
    const valueSql = (t: (typeof all)[number]): string => {
      const v = t.value(after);
      if (v === undefined && t.col === '"manualSort"') {
        afterArgs.push(after.id);
        return t.atom.expr(`(SELECT "manualSort" FROM ${table} WHERE "id" = ?)`);
      }
      afterArgs.push((v ?? null) as string | number | boolean | null);
      return t.atom.expr('?');
    };
    // (t1 > v1) OR (t1 IS v1 AND t2 > v2) OR ...: "strictly after" in the page order.
    const ors: string[] = [];
    for (let i = 0; i < all.length; i++) {
      const ands: string[] = [];
      for (let j = 0; j < i; j++) {
        const t = all[j] as (typeof all)[number];
        ands.push(`${t.atom.expr(t.col)} IS ${valueSql(t)}`);
      }
      const t = all[i] as (typeof all)[number];
      ands.push(`${t.atom.expr(t.col)} ${t.atom.reversed !== t.descending ? '<' : '>'} ${valueSql(t)}`);
      ors.push(`(${ands.join(' AND ')})`);
    }
    afterSql = ors.join(' OR ');
  }
  const finalArgs = [...args, ...afterArgs, query.limit];
  if (unsafe.length === 0) {
    return { sql: `SELECT * FROM ${table} WHERE (${where}) AND (${afterSql}) ORDER BY ${orderBy} LIMIT ?`, args: finalArgs, textColumns };
  }
  // The check is an uncorrelated subquery: SQLite evaluates it once per statement, not per row.
  const check = `EXISTS(SELECT 1 FROM ${table} WHERE ${unsafe.join(' OR ')})`;
  return {
    sql: `SELECT *, ${check} AS "__gg_unsafe" FROM ${table} WHERE (${where}) AND (${afterSql}) ORDER BY ${orderBy} LIMIT ?`,
    args: finalArgs,
    guard: `SELECT ${check} AS "__gg_unsafe"`,
    textColumns,
  };
}
