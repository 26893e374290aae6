/**
 * Rewriting formulas after renames, as Grist does: a column rename rewrites `$Old`, `rec.Old`, attribute
 * chains through references and lookups that land on the renamed column (`$Product.Old`,
 * `Orders.lookupOne(...).Product.Old`) and lookup keywords (`Table.lookupRecords(Old=...)`) in every formula
 * of the document; a table rename rewrites the table's name where formulas use it (`Old.lookupRecords`).
 *
 * A small tokenizer stands in for Python's parser: it skips strings and comments and follows attribute
 * chains with the column types of the document, so `$Name` of another table with the same column name is
 * left alone. Formulas that do not parse are left unchanged (06 columns-after-renames).
 */

/** The schema a rewrite needs: per table, the type of each column (`Ref:People`, `Text`, ...). */
export type SchemaTypes = ReadonlyMap<string, ReadonlyMap<string, string>>;

interface Token {
  kind: 'name' | 'dollar' | 'dot' | 'open' | 'close' | 'eq' | 'comma' | 'other';
  text: string;
  start: number;
  end: number;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === '#') {
      while (i < src.length && src[i] !== '\n') { i++; }
    } else if (ch === '"' || ch === "'") {
      const q3 = src.slice(i, i + 3);
      let j: number;
      if (q3 === '"""' || q3 === "'''") {
        j = src.indexOf(q3, i + 3);
        j = j < 0 ? src.length : j + 3;
      } else {
        j = i + 1;
        while (j < src.length && src[j] !== ch && src[j] !== '\n') { j += src[j] === '\\' ? 2 : 1; }
        j = Math.min(j + 1, src.length);
      }
      // A string prefix (f, r, b) was read as a name just before: that is harmless for chains.
      out.push({ kind: 'other', text: src.slice(i, j), start: i, end: j });
      i = j;
    } else if (/[A-Za-z_]/.test(ch) || (ch === '$' && /[A-Za-z_]/.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < src.length && /\w/.test(src[j] as string)) { j++; }
      out.push({ kind: ch === '$' ? 'dollar' : 'name', text: src.slice(ch === '$' ? i + 1 : i, j), start: ch === '$' ? i + 1 : i, end: j });
      i = j;
    } else if (/\s/.test(ch)) {
      i++;
    } else {
      const kind = ch === '.' ? 'dot' : '([{'.includes(ch) ? 'open' : ')]}'.includes(ch) ? 'close' : ch === ',' ? 'comma'
        : ch === '=' && src[i + 1] !== '=' && !'=!<>'.includes(src[i - 1] ?? '') ? 'eq' : 'other';
      if (/\d/.test(ch)) {
        let j = i + 1;
        while (j < src.length && /[\w.]/.test(src[j] as string)) { j++; }
        out.push({ kind: 'other', text: src.slice(i, j), start: i, end: j });
        i = j;
        continue;
      }
      out.push({ kind, text: ch, start: i, end: i + 1 });
      i++;
    }
  }
  return out;
}

/** Index of the token closing the bracket opened at `open`. */
function closing(tokens: Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if (t.kind === 'open') { depth++; } else if (t.kind === 'close') { depth--; if (depth === 0) { return k; } }
  }
  return tokens.length - 1;
}

/** Where a rename applies: the column `col` of table `table` becomes `to`. */
interface ColumnRename { table: string; col: string; to: string }

/** The table a Ref/RefList type points to. */
function refTarget(type: string | undefined): string | undefined {
  if (!type) { return undefined; }
  const m = /^(?:Ref|RefList):(.+)$/.exec(type);
  return m ? m[1] : undefined;
}

/**
 * Edits (start, end, text) for a column rename inside one formula of table `home`: follows chains that
 * start at `$X`, `rec`, or a table name, resolving each attribute's table through Ref/RefList types.
 */
function columnEdits(formula: string, home: string, schema: SchemaTypes, r: ColumnRename): { start: number; end: number; text: string }[] {
  const tokens = tokenize(formula);
  const edits: { start: number; end: number; text: string }[] = [];
  /** Applies an attribute access on records of `table`; returns the next table (or undefined). */
  const attr = (table: string | undefined, tok: Token): string | undefined => {
    if (table === undefined) { return undefined; }
    if (table === r.table && tok.text === r.col) { edits.push({ start: tok.start, end: tok.end, text: r.to }); }
    return refTarget(schema.get(table)?.get(tok.text));
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    const prev = tokens[k - 1];
    if (prev?.kind === 'dot') { continue; }
    let table: string | undefined;
    let j = k + 1;
    if (t.kind === 'dollar') {
      table = attr(home, t);
    } else if (t.kind === 'name' && t.text === 'rec') {
      table = home;
    } else if (t.kind === 'name' && schema.has(t.text) && tokens[k + 1]?.kind === 'dot') {
      // Table.lookupRecords(...) / Table.lookupOne(...) / Table.all
      const method = tokens[k + 2];
      if (!method || method.kind !== 'name') { continue; }
      if (method.text === 'all') {
        table = t.text;
        j = k + 3;
      } else if ((method.text === 'lookupRecords' || method.text === 'lookupOne') && tokens[k + 3]?.kind === 'open') {
        const end = closing(tokens, k + 3);
        // keyword arguments at depth 1: `Name=`
        let depth = 0;
        for (let m = k + 3; m <= end; m++) {
          const x = tokens[m] as Token;
          if (x.kind === 'open') { depth++; } else if (x.kind === 'close') { depth--; }
          if (depth === 1 && x.kind === 'name' && tokens[m + 1]?.kind === 'eq' && (tokens[m - 1]?.kind === 'open' || tokens[m - 1]?.kind === 'comma')) {
            if (t.text === r.table && x.text === r.col) { edits.push({ start: x.start, end: x.end, text: r.to }); }
          }
        }
        table = t.text;
        j = end + 1;
      } else {
        continue;
      }
    } else {
      continue;
    }
    // Follow `.attr` steps; a call or subscript ends the chain (its result's type is unknown).
    while (table !== undefined && tokens[j]?.kind === 'dot' && tokens[j + 1]?.kind === 'name') {
      const name = tokens[j + 1] as Token;
      if (tokens[j + 2]?.kind === 'open') { break; }
      table = attr(table, name);
      j += 2;
    }
  }
  return edits;
}

function applyEdits(src: string, edits: { start: number; end: number; text: string }[]): string {
  let out = src;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) { out = out.slice(0, e.start) + e.text + out.slice(e.end); }
  return out;
}

/** The formula of table `home` after column `table.col` is renamed to `to` (unchanged when unaffected). */
export function renameColumnInFormula(formula: string, home: string, schema: SchemaTypes, table: string, col: string, to: string): string {
  if (!formula.includes(col)) { return formula; }
  const edits = columnEdits(formula, home, schema, { table, col, to });
  return edits.length ? applyEdits(formula, edits) : formula;
}

/** The formula after table `from` is renamed to `to`: bare uses of the table name (not attributes). */
export function renameTableInFormula(formula: string, schema: SchemaTypes, from: string, to: string): string {
  if (!formula.includes(from)) { return formula; }
  const tokens = tokenize(formula);
  const edits = tokens
    .filter((t, k) => t.kind === 'name' && t.text === from && tokens[k - 1]?.kind !== 'dot' && schema.has(from))
    .map((t) => ({ start: t.start, end: t.end, text: to }));
  return edits.length ? applyEdits(formula, edits) : formula;
}

/** The column types of every user table, as rewrites need them. */
export function schemaTypes(tables: readonly { tableId: string; columns: readonly { colId: string; type: string }[] }[]): SchemaTypes {
  return new Map(tables.map((t) => [t.tableId, new Map(t.columns.map((c) => [c.colId, c.type]))]));
}
