/**
 * A small RFC 4180 CSV reader for the import example: quoted fields, `""` escapes, separators and line
 * breaks inside quotes, CRLF or LF line ends, a UTF-8 BOM. No dependency, one pass over the text.
 */

/** Parses CSV text into rows of fields. Blank lines are skipped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field);
    if (row.length > 1 || row[0] !== '') rows.push(row);
    row = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') endRow();
    else if (c === '\r') {
      if (text[i + 1] === '\n') i++;
      endRow();
    } else field += c;
  }
  if (quoted) throw new Error('CSV ends inside a quoted field (a closing " is missing)');
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/** Turns a CSV header into a Grist column id: letters, digits and `_`, not starting with a digit. */
export function columnId(header: string, index: number): string {
  const id = header.trim().replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (id === '') return `Column${index + 1}`;
  return /^[0-9]/.test(id) ? `c${id}` : id;
}

/** The Grist column type that fits every (non-empty) value of a CSV column. */
export function guessType(values: readonly string[]): 'Int' | 'Numeric' | 'Bool' | 'Text' {
  const present = values.filter((v) => v.trim() !== '');
  if (present.length === 0) return 'Text';
  if (present.every((v) => /^[+-]?\d{1,15}$/.test(v.trim()))) return 'Int';
  if (present.every((v) => v.trim() !== '' && Number.isFinite(Number(v)))) return 'Numeric';
  if (present.every((v) => /^(true|false)$/i.test(v.trim()))) return 'Bool';
  return 'Text';
}

/** Converts one CSV field to the cell value a column of `type` stores; empty fields become null. */
export function toCell(value: string, type: string): string | number | boolean | null {
  const v = value.trim();
  if (type === 'Int' || type === 'Numeric') return v === '' ? null : Number.isFinite(Number(v)) ? Number(v) : value;
  if (type === 'Bool') return v === '' ? null : /^true$/i.test(v) ? true : /^false$/i.test(v) ? false : value;
  return value;
}
