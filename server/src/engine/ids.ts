/**
 * Table and column id normalisation, as Grist does it (grist-api.md sections 2.3, 3.6).
 *
 * The rules mirror Grist's `identifiers.py`: accents are stripped (NFKD, combining marks dropped), runs of
 * characters other than ASCII letters, digits and `_` become one `_`, leading underscores are dropped, a
 * leading digit gets a prefix (`T` for tables, `c` for columns), Python keywords get the prefix too, and
 * collisions are detected case-insensitively and resolved with the smallest free numeric suffix >= 2.
 */

const INVALID_RUN = /[^a-zA-Z0-9_]+/g;
const COMBINING = /\p{M}/gu;
const LEADING_UNDERSCORES = /^_+/;
const STARTS_WITH_DIGIT_OR_UNDERSCORE = /^[0-9_]/;
const ENDS_IN_DIGIT = /\d$/;

/** Python 3 hard keywords plus the constants Grist refuses as identifiers. */
const PYTHON_KEYWORDS: ReadonlySet<string> = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def',
  'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda',
  'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/** Column ids that always collide: `id` is every table's row id column. */
const RESERVED_COL_IDS = ['id'];

function sanitize(requested: string, prefix: string, capitalize: boolean): string {
  let ident = requested.normalize('NFKD').replace(COMBINING, '');
  ident = ident.replace(INVALID_RUN, '_').replace(LEADING_UNDERSCORES, '');
  if (STARTS_WITH_DIGIT_OR_UNDERSCORE.test(ident)) { ident = prefix + ident; }
  if (ident === '') { return ident; }
  if (capitalize) { ident = ident.charAt(0).toUpperCase() + ident.slice(1); }
  while (PYTHON_KEYWORDS.has(ident)) { ident = prefix + ident; }
  return ident;
}

/** The identifier part alone (accents stripped, invalid runs -> '_'), without collision handling. */
export function sanitizeIdent(requested: string): string {
  return sanitize(requested, 'c', false);
}

function upperSet(existing: Iterable<string>): Set<string> {
  const avoid = new Set<string>();
  for (const e of existing) { avoid.add(e.toUpperCase()); }
  return avoid;
}

function addSuffix(base: string, avoid: ReadonlySet<string>, first: number): string {
  // Grist separates a suffix from a base that already ends in a digit: `T123` -> `T123_2`.
  const b = ENDS_IN_DIGIT.test(base) ? `${base}_` : base;
  for (let n = first; ; n++) {
    const candidate = `${b}${n}`;
    if (!avoid.has(candidate.toUpperCase())) { return candidate; }
  }
}

function maybeAddSuffix(ident: string, avoid: ReadonlySet<string>): string {
  return avoid.has(ident.toUpperCase()) ? addSuffix(ident, avoid, 2) : ident;
}

/** Table id normalisation and collision suffixing (section 2.3). `existing` = current table ids. */
export function normaliseTableId(requested: string | undefined | null, existing: Iterable<string>): string {
  const avoid = upperSet(existing);
  const ident = sanitize(requested ?? '', 'T', true);
  return ident ? maybeAddSuffix(ident, avoid) : addSuffix('Table', avoid, 1);
}

/** `A`, `B`, ..., `Z`, `AA`, `AB`, ...: the n-th (0-based) spreadsheet-style letter name. */
function letterName(n: number): string {
  let s = '';
  let k = n + 1;
  while (k > 0) {
    const r = (k - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    k = Math.floor((k - 1) / 26);
  }
  return s;
}

/** Column id normalisation (section 3.6): keeps case, Python keywords/leading digit get 'c', reserved ids,
 *  collisions (case-insensitive) get 2, 3...; empty -> first free of A, B, ..., Z, AA, AB... */
export function normaliseColId(requested: string | undefined | null, existing: Iterable<string>): string {
  const avoid = upperSet(existing);
  for (const r of RESERVED_COL_IDS) { avoid.add(r.toUpperCase()); }
  const ident = sanitize(requested ?? '', 'c', false);
  if (ident) { return maybeAddSuffix(ident, avoid); }
  for (let n = 0; ; n++) {
    const name = letterName(n);
    if (!avoid.has(name)) { return name; }
  }
}
