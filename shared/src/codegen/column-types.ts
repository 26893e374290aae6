/**
 * Grist column type -> TypeScript type of its cell values, as the gateway sends and accepts them
 * (the wire encoding: dates are seconds since the epoch, lists carry Grist's `"L"` code).
 */

/** A column as `describe_table` reports it (the fields the generator reads). */
export interface SchemaColumn {
  /** Column id. */
  id: string;
  /** Grist type: `Text`, `Numeric`, `Ref:People`, `DateTime:UTC`, ... */
  type: string;
  /** Display label (`""` or the id when none was set). */
  label?: string;
  /** Formula text (`""` when none). */
  formula?: string;
  /** True for a formula column (computed by Grist; not writable once it has a formula). */
  isFormula: boolean;
  /** Display options; `choices` of a Choice / ChoiceList column are read from here. */
  widgetOptions?: Record<string, unknown> | null;
  /** The column's description, when Grist has one. */
  description?: string;
}

/** Options of {@link columnValueType}. */
export interface ColumnTypeOptions {
  /**
   * Add `(string & {})` to Choice / ChoiceList types, for documents whose cells hold values outside the
   * listed choices (Grist stores such values unchanged). The listed choices still complete in editors.
   * Default false: only the listed choices type-check.
   */
  openChoices?: boolean;
}

/** The name the generated module gives Grist's generic cell value (the type of `Any` columns). */
export const CELL_VALUE_TYPE = 'CellValue';

/** The listed choices of a Choice / ChoiceList column (strings only, duplicates dropped, order kept). */
export function choicesOf(column: SchemaColumn): string[] {
  const choices = column.widgetOptions?.choices;
  if (!Array.isArray(choices)) return [];
  return [...new Set(choices.filter((c): c is string => typeof c === 'string'))];
}

/** The union of a Choice column's values: its literals, or `string` when it lists none. */
function choiceUnion(column: SchemaColumn, options: ColumnTypeOptions): string {
  const choices = choicesOf(column);
  if (choices.length === 0) return 'string';
  const literals = choices.map((c) => JSON.stringify(c));
  if (options.openChoices) literals.push('(string & {})');
  return literals.join(' | ');
}

/**
 * The TypeScript type of a column's values (without `null`, except where Grist's own encoding of an
 * empty list is `null`):
 *
 * | Grist | TypeScript |
 * | --- | --- |
 * | Text | `string` |
 * | Numeric, Int | `number` |
 * | Bool | `boolean` |
 * | Date, DateTime | `number` (seconds since the epoch, as on the wire) |
 * | Choice | the union of its choices (`string` when it lists none) |
 * | ChoiceList | `["L", ...Choice[]] \| null` (an empty list reads back as `null`) |
 * | Ref:T | `number` (row id; 0 = empty) |
 * | RefList:T, Attachments | `["L", ...number[]] \| null` |
 * | Any, anything else | `CellValue` |
 */
export function columnValueType(column: SchemaColumn, options: ColumnTypeOptions = {}): string {
  const colon = column.type.indexOf(':');
  const base = colon < 0 ? column.type : column.type.slice(0, colon);
  switch (base) {
    case 'Text':
      return 'string';
    case 'Numeric':
    case 'Int':
      return 'number';
    case 'Bool':
      return 'boolean';
    case 'Date':
    case 'DateTime':
      return 'number';
    case 'Choice':
      return choiceUnion(column, options);
    case 'ChoiceList': {
      const union = choiceUnion(column, options);
      return `["L", ...(${union})[]] | null`;
    }
    case 'Ref':
      return 'number';
    case 'RefList':
    case 'Attachments':
      return '["L", ...number[]] | null';
    default:
      return CELL_VALUE_TYPE;
  }
}

/**
 * Whether a column is read-only for writes: a formula column with a formula. (An empty column, which
 * Grist reports as a formula column with formula `""`, turns into a data column on its first write, so
 * it stays writable.)
 */
export function isReadOnlyColumn(column: SchemaColumn): boolean {
  return column.isFormula && (column.formula ?? '') !== '';
}

/** What the wire encoding of a type means, for the doc comment (`undefined` when the type says it all). */
export function encodingNote(type: string): string | undefined {
  const base = type.split(':', 1)[0];
  switch (base) {
    case 'Date':
      return 'seconds since the epoch (UTC midnight)';
    case 'DateTime':
      return 'seconds since the epoch';
    case 'Ref':
      return `row id in ${type.slice(4)} (0 = empty)`;
    case 'RefList':
      return `row ids in ${type.slice(8)}`;
    case 'Attachments':
      return 'attachment ids';
    default:
      return undefined;
  }
}
