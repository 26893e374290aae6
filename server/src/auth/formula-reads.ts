/**
 * What a Grist formula may read, found from its text without running it, for table/column scopes.
 *
 * The analysis is deliberately conservative: it recognises the ways a formula reaches data (`$Col`,
 * `rec.Col`, `$Ref.Col.Col`, a table's name such as `Customers.lookupOne(...)`) and calls anything it
 * cannot follow "dynamic" (`rec` used as a whole, `getattr`, `eval`, dunder names, ...). A caller treats
 * a dynamic formula as reading everything, so a formula column is only shown under a `"*"` scope when
 * every piece of data it can reach is visible too.
 */

/** One thing a formula reads. */
export type FormulaRead =
  /** A column reached through a chain of references from the formula's own table: `$A.B.C` is path [A, B, C]. */
  | { kind: 'path'; path: readonly string[] }
  /** A table named in the formula (`Customers.lookupRecords(...)`): everything in it. */
  | { kind: 'table'; table: string };

/** What {@link formulaReads} found. */
export type FormulaReads = { dynamic: true; why: string } | { dynamic: false; reads: FormulaRead[] };

/** Names that give a formula access to data in ways the analysis cannot follow. */
const DYNAMIC_NAMES = new Set([
  'getattr', 'setattr', 'hasattr', 'delattr', 'eval', 'exec', 'compile', 'globals', 'locals', 'vars', 'dir',
  'open', 'type', 'object', 'table', 'self', 'docmodel', 'RECORD', 'PEEK', 'SELF_HYPERLINK', 'user',
]);

interface Token {
  kind: 'name' | 'dollar' | 'op';
  text: string;
}

/** Splits Python source into names, `$name`s and single-character operators; strings and comments are skipped. */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    if (c === '#') {
      const end = source.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = source.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      i += quote.length;
      while (i < n && !source.startsWith(quote, i)) i += source[i] === '\\' ? 2 : 1;
      i += quote.length;
      // A string followed by `.attr` (e.g. "x".join) is a value, not data: push a neutral operand.
      tokens.push({ kind: 'op', text: 'str' });
      continue;
    }
    if (c === '$' || /[A-Za-z_]/.test(c)) {
      const start = c === '$' ? i + 1 : i;
      let j = start;
      while (j < n && /[A-Za-z0-9_]/.test(source[j]!)) j++;
      tokens.push({ kind: c === '$' ? 'dollar' : 'name', text: source.slice(start, j) });
      i = Math.max(j, i + 1);
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i;
      while (j < n && /[0-9A-Za-z_.]/.test(source[j]!)) j++;
      tokens.push({ kind: 'op', text: 'num' });
      i = j;
      continue;
    }
    tokens.push({ kind: 'op', text: c });
    i++;
  }
  return tokens;
}

/**
 * What `formula` (a formula of a column in some table) reads. `tableIds` are the document's tables, so a
 * name that is a table id counts as reading that table.
 */
export function formulaReads(formula: string, tableIds: ReadonlySet<string>): FormulaReads {
  if (formula.includes('__')) return { dynamic: true, why: 'uses a double-underscore name' };
  const tokens = tokenize(formula);
  const reads: FormulaRead[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k]!;
    const previous = tokens[k - 1];
    const afterDot = previous?.kind === 'op' && previous.text === '.';
    if (token.kind === 'op') continue;
    let path: string[] | undefined;
    if (token.kind === 'dollar') {
      if (token.text === '') return { dynamic: true, why: 'uses a bare $' };
      path = [token.text];
    } else if (afterDot) {
      continue; // an attribute of something already accounted for
    } else if (token.text === 'rec') {
      const dot = tokens[k + 1];
      const attr = tokens[k + 2];
      if (dot?.kind !== 'op' || dot.text !== '.' || attr?.kind !== 'name') {
        return { dynamic: true, why: 'uses rec as a whole' };
      }
      path = [attr.text];
      k += 2;
    } else if (DYNAMIC_NAMES.has(token.text)) {
      return { dynamic: true, why: `uses ${token.text}` };
    } else if (tableIds.has(token.text)) {
      reads.push({ kind: 'table', table: token.text });
      continue;
    } else {
      continue; // a local name, a keyword or a function: reads nothing by itself
    }
    // Follow `.attr` chains after a column: `$Customer.Address.City`.
    while (tokens[k + 1]?.kind === 'op' && tokens[k + 1]!.text === '.' && tokens[k + 2]?.kind === 'name') {
      path.push(tokens[k + 2]!.text);
      k += 2;
    }
    reads.push({ kind: 'path', path });
  }
  return { dynamic: false, reads };
}
