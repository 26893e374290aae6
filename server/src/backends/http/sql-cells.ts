/**
 * Turns rows of `POST /sql ... SELECT *` (SQLite storage values, grist-api.md section 7.4) into records
 * exactly as `GET /records` encodes them (sections 4.1, 5.2), from the table's column types:
 *
 * | column type                      | storage                    | record value                     |
 * | -------------------------------- | -------------------------- | -------------------------------- |
 * | Bool                             | 0 / 1                      | false / true                     |
 * | ChoiceList, RefList, Attachments | JSON text of the list      | `["L", ...]`; empty list -> null |
 * | anything else                    | number / text / null       | unchanged                        |
 * | any column, blob                 | marshalled Python value    | the value; error -> null + errors |
 *
 * Blobs arrive as `{"type": "Buffer", "data": [...]}`: Python marshal from Grist, or UTF-8 JSON of the
 * encoded value from the embedded engine's REST API (its documented stand-in). A value that cannot be
 * decoded throws {@link UndecodableCell}; the reader then reads that page through `GET /records`.
 */
import type { CellValue, GristRecord } from '../../backend/types.js';
import { MarshalError, unmarshal } from './marshal.js';

/** A column as the decoder needs it. */
export interface DecodeColumn {
  id: string;
  type: string;
  /** `manualSort` and `gristHelper_*`: returned only with `hidden`. */
  hidden: boolean;
}

/** A cell the decoder cannot turn into what `GET /records` would show. */
export class UndecodableCell extends Error {
  override readonly name = 'UndecodableCell';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const LIST_TYPES = /^(ChoiceList|RefList:|Attachments$)/;

/** `true` for the Buffer JSON `/sql` sends for a blob. */
function isBufferJson(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data);
}

/** A blob's value: JSON (embedded engine) or Python marshal (Grist; never valid JSON: binary lengths). */
function blobValue(data: number[]): unknown {
  const bytes = Uint8Array.from(data);
  try {
    return JSON.parse(utf8.decode(bytes)) as unknown;
  } catch {
    // Not JSON: marshal.
  }
  try {
    return unmarshal(bytes);
  } catch (err) {
    if (err instanceof MarshalError) throw new UndecodableCell(`a stored value could not be decoded: ${err.message}`);
    throw err;
  }
}

/** A decoded value: the cell, or an error cell's exception name. */
type Decoded = { value: CellValue } | { error: string };

/** Decodes one stored value of a column of `type`. */
export function decodeCell(type: string, stored: unknown): Decoded {
  if (stored === null || stored === undefined) return { value: null };
  if (isBufferJson(stored)) {
    const value = blobValue(stored.data);
    if (Array.isArray(value) && value[0] === 'E') return { error: typeof value[1] === 'string' ? value[1] : 'Error' };
    if (Array.isArray(value) && value[0] === 'L' && value.length === 1 && LIST_TYPES.test(type)) return { value: null };
    return { value: value as CellValue };
  }
  if (type === 'Bool') {
    if (stored === 0) return { value: false };
    if (stored === 1) return { value: true };
    return { value: stored as CellValue };
  }
  if (LIST_TYPES.test(type) && typeof stored === 'string') {
    if (!stored.startsWith('[')) return { value: stored };
    let parsed: unknown;
    try {
      parsed = JSON.parse(stored);
    } catch {
      return { value: stored }; // alt text that merely starts with "["
    }
    if (!Array.isArray(parsed)) return { value: stored };
    return { value: parsed.length === 0 ? null : (['L', ...parsed] as CellValue) };
  }
  if (typeof stored === 'object') throw new UndecodableCell(`unexpected ${Array.isArray(stored) ? 'list' : 'object'} in a stored value`);
  return { value: stored as CellValue };
}

/** Whether a type's stored numbers and texts are the record values as they are (see the table above). */
function passesThrough(type: string): boolean {
  return type !== 'Bool' && !LIST_TYPES.test(type);
}

/** What {@link RowDecoder} answers for a row whose columns are not the expected ones (plus `id`). */
export const OTHER_COLUMNS = Symbol('other columns');

/**
 * Checks and decodes the `/sql` rows of one column list: `OTHER_COLUMNS` unless the row has exactly
 * those columns plus `id` (someone added, removed or renamed a column: the caller reloads the types),
 * else the record as `GET /records` answers it: fields in column order (hidden ones only with `hidden`),
 * `errors` only when a cell holds an error. Throws {@link UndecodableCell} for a row without a numeric id
 * or a value that cannot be decoded.
 */
export type RowDecoder = (row: Record<string, unknown>) => GristRecord | typeof OTHER_COLUMNS;

/** Per column: its id, whether it is output, whether its stored values pass through, whether `row[id]` could be inherited. */
interface PlannedColumn {
  id: string;
  type: string;
  shown: boolean;
  passes: boolean;
  inherited: boolean;
}

/** Decoders already prepared, per column list (the cached column types keep one list per table). */
const decoders = new WeakMap<readonly DecodeColumn[], { hidden?: RowDecoder; visible?: RowDecoder }>();

/**
 * The {@link RowDecoder} of `columns` (all of them must be in each row; hidden ones are output only with
 * `hidden`). Everything per column is worked out once here, so each row costs one pass over its cells
 * and one new object, with no key list, set or call per cell in the common case.
 */
export function rowDecoder(columns: readonly DecodeColumn[], hidden: boolean): RowDecoder {
  let known = decoders.get(columns);
  if (!known) decoders.set(columns, (known = {}));
  const key = hidden ? 'hidden' : 'visible';
  return (known[key] ??= makeRowDecoder(columns, hidden));
}

function makeRowDecoder(columns: readonly DecodeColumn[], hidden: boolean): RowDecoder {
  const plan: PlannedColumn[] = columns.map((c) => ({
    id: c.id,
    type: c.type,
    shown: hidden || !c.hidden,
    passes: passesThrough(c.type),
    // A row without this column would still "have" it through Object.prototype (`constructor`, ...).
    inherited: c.id in Object.prototype,
  }));
  // A column id appearing twice (not possible in Grist) could not be told apart from a row with one column less.
  const distinct = new Set(plan.map((c) => c.id)).size === plan.length && !plan.some((c) => c.id === 'id');
  return (row) => {
    const id = row['id'];
    if (typeof id !== 'number') throw new UndecodableCell('a row without a numeric id');
    let keys = 0;
    for (const _ in row) keys += 1;
    if (!distinct || keys !== plan.length + 1) return OTHER_COLUMNS;
    const fields: Record<string, CellValue> = {};
    let errors: Record<string, string> | undefined;
    for (let i = 0; i < plan.length; i++) {
      const col = plan[i] as PlannedColumn;
      const stored = row[col.id];
      if (stored === undefined || (col.inherited && !Object.hasOwn(row, col.id))) return OTHER_COLUMNS;
      if (!col.shown) continue;
      // The common case without a call or an object per cell: a number, text or null that decodes to itself.
      if (stored === null || (col.passes && typeof stored !== 'object')) {
        fields[col.id] = stored as CellValue;
        continue;
      }
      const cell = decodeCell(col.type, stored);
      if ('error' in cell) {
        fields[col.id] = null;
        (errors ??= {})[col.id] = cell.error;
      } else fields[col.id] = cell.value;
    }
    return errors ? { id, fields, errors } : { id, fields };
  };
}
