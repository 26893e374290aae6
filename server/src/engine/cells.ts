/**
 * Cell encoding of the embedded engine: API values <-> SQLite values, following Grist's parsing and
 * conversion rules. Pure functions, no SQLite.
 */
import type { CellValue } from '../backend/types.js';
import type { ColType } from './coltypes.js';

/** What better-sqlite3 binds/returns. */
export type StoredValue = number | bigint | string | Uint8Array | null;

/** An error cell value once decoded: the record reads `null` and `errors[colId] = name`. */
export class CellError {
  constructor(readonly name: string, readonly message?: string) {}
}

/** Context of one write. */
export interface EncodeContext {
  /** Grist's `noparse`: ChoiceList/RefList/Ref strings are not parsed (section 5.3). */
  noparse?: boolean;
  /** Ref columns with a visibleCol: the row id whose visible value equals `text`, or undefined. */
  lookupRef?: (text: string) => number | undefined;
}

/** API value -> SQLite value, applying Grist's parsing/conversion rules of sections 5.2, 5.3, 5.5. */
export function encodeCell(t: ColType, value: CellValue, ctx?: EncodeContext): StoredValue {
  return null;
}

/** SQLite value -> API value (or CellError). Must be fast: called for every cell of every read. */
export function decodeCell(t: ColType, stored: StoredValue): CellValue | CellError {
  return null;
}

/** Encodes a CellError (an error cell) for storage: used by the store for formula columns' cells. */
export function encodeError(err: CellError): StoredValue {
  return null;
}

/**
 * Checks a request cell value against Grist's JSON cell grammar (section 5.1). Returns undefined when
 * valid, else the reason after the path, e.g. 'is not a GristObjCode'.
 */
export function checkCellValue(value: unknown): string | undefined {
  return undefined;
}

/** Type Grist guesses for an empty `Any` formula column on its first write, e.g. 'Date', 'Numeric', 'Text', 'Bool'. */
export function guessColType(values: readonly CellValue[]): string {
  return 'Text';
}

/** Converts a stored cell when its column type changes (section 3.3 table). */
export function convertStoredCell(from: ColType, to: ColType, stored: StoredValue): StoredValue {
  return stored;
}

/** `cellFormat=typed` encoding of a decoded cell (section 4.7). */
export function typedCell(t: ColType, value: CellValue | CellError): CellValue {
  return value instanceof CellError ? null : value;
}
