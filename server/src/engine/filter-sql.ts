/**
 * SQL pushdown of record filters: `WHERE` conditions that keep a SUPERSET of the rows the exact JS filter
 * (read.ts: decoded cell value in the set of filter values, with Python equality: True == 1) keeps, so SQLite drops most
 * non-matching rows before they are decoded. The exact JS check still runs on every candidate row, so a
 * condition here may keep too much but must never drop a row the JS check would keep.
 *
 * Why this is exact, by how `decodeCell` maps stored values (cells.ts):
 *   - stored NULL -> null, whatever the type;
 *   - stored text -> that same string (list columns may turn it into a list, which never matches);
 *   - stored integer/real n -> n, except in Bool columns where it becomes `n !== 0` (big integers read lossily,
 *     so numbers of magnitude >= 2^53 are not pushed down);
 *   - stored BLOB -> anything (JSON of the Grist value): every BLOB cell stays a candidate.
 * Data columns have no type affinity and json_each values have none either, so `=`/`IN` compare without any
 * conversion: text never equals a number, 3 equals 3.0. Formula columns and metadata tables (other decoders)
 * are not pushed down. Filter values go in as one JSON parameter (`IN (SELECT value FROM json_each(?))`), which
 * has no parameter-count limit and keeps one statement text per filter shape for the statement cache.
 */
import type { TableMeta } from './meta.js';
import { quoteIdent } from './schema.js';

/** SQL conditions (to be ANDed) and their parameters, in order. */
export interface SqlFilter {
  clauses: string[];
  args: unknown[];
}

/** Largest magnitude for which a stored integer reads back as exactly the same JS number. */
const EXACT_LIMIT = 2 ** 53;

const NUMERIC = "typeof(%) IN ('integer','real')";

/**
 * Builds the pushdown conditions of `filter` (already validated: every value is an array and every column
 * exists). Columns or values that cannot be pushed down exactly add no condition.
 */
export function filterToSql(table: TableMeta, filter: Readonly<Record<string, readonly unknown[]>>): SqlFilter {
  const out: SqlFilter = { clauses: [], args: [] };
  for (const [colId, values] of Object.entries(filter)) {
    if (colId === 'id') {
      idCondition(values, out);
      continue;
    }
    const col = table.byId.get(colId);
    if (!col || table.meta || col.isFormula) { continue; }
    dataCondition(quoteIdent(colId), col.colType.base === 'Bool', values, out);
  }
  return out;
}

/** `id` cells are integers: only integer filter values (and true == 1, Python equality) can match them. */
function idCondition(values: readonly unknown[], out: SqlFilter): void {
  const ids = values
    .map((v) => (typeof v === 'boolean' ? Number(v) : v))
    .filter((v): v is number => typeof v === 'number' && Number.isSafeInteger(v));
  if (ids.length === 0) {
    out.clauses.push('0');
    return;
  }
  out.clauses.push('id IN (SELECT value FROM json_each(?))');
  out.args.push(JSON.stringify(ids));
}

function dataCondition(col: string, isBool: boolean, values: readonly unknown[], out: SqlFilter): void {
  // Lists and objects never match (Grist compares them by identity), as in read.ts.
  const prims = values.filter((v) => v === null || typeof v !== 'object');
  if (prims.length === 0) {
    out.clauses.push('0');
    return;
  }
  const ors: string[] = [`typeof(${col}) = 'blob'`];
  const inList: (string | number)[] = [];
  for (const v of prims) {
    if (v === null) {
      ors.push(`${col} IS NULL`);
    } else if (typeof v === 'string') {
      inList.push(v);
    } else if (typeof v === 'number') {
      // Bool cells decode to booleans (or text/blob values); with Python equality 1 matches true, 0 false.
      if (isBool) {
        if (v === 1) ors.push(`(${NUMERIC.replace('%', col)} AND ${col} <> 0)`);
        else if (v === 0) ors.push(`${col} = 0`);
        continue;
      }
      if (!Number.isFinite(v) || Math.abs(v) >= EXACT_LIMIT) { return; } // not exactly representable: no pushdown
      inList.push(v);
    } else if (typeof v === 'boolean') {
      // In a Bool column any non-zero number reads as true; elsewhere true == 1 and false == 0 (Python).
      if (isBool) { ors.push(v ? `(${NUMERIC.replace('%', col)} AND ${col} <> 0)` : `${col} = 0`); }
      else { inList.push(v ? 1 : 0); }
    } else {
      // bigint, symbol, function, undefined: not a cell value the JS check could match... unless it could;
      // keep the column unfiltered rather than reason about it.
      return;
    }
  }
  if (inList.length > 0) {
    ors.push(`${col} IN (SELECT value FROM json_each(?))`);
    out.args.push(JSON.stringify(inList));
  }
  out.clauses.push(`(${ors.join(' OR ')})`);
}
