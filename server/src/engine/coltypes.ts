/**
 * Grist column types: parsing `'Ref:People'`, `'DateTime:America/New_York'`, ... and per-type defaults.
 * Pure functions, no SQLite.
 */
import type { CellValue } from '../backend/types.js';
import type { StoredValue } from './cells.js';

/** The base name of a Grist column type (the part before `:`). */
export type BaseType = 'Any' | 'Text' | 'Numeric' | 'Int' | 'Bool' | 'Date' | 'DateTime' | 'Choice'
  | 'ChoiceList' | 'Ref' | 'RefList' | 'Attachments' | 'ManualSortPos' | 'PositionNumber' | 'Id';

/** A parsed Grist column type. */
export interface ColType {
  /** As given: 'DateTime:America/New_York', 'Ref:People', 'Numeric'. */
  readonly raw: string;
  readonly base: BaseType;
  /** For Ref/RefList ('_grist_Attachments' for Attachments). */
  readonly refTable?: string;
  /** For DateTime ('UTC' when 'DateTime' has no tz). */
  readonly timezone?: string;
}

/** Parses a Grist column type; undefined for an unknown type name. */
export function parseColType(raw: string): ColType | undefined {
  return { raw, base: 'Any' };
}

/** The name Grist's error quotes for an unknown type: 'Bogus' for 'Bogus' and 'Bogus:X'. */
export function unknownTypeName(raw: string): string {
  const i = raw.indexOf(':');
  return i < 0 ? raw : raw.slice(0, i);
}

/** What a cell holds when a record is created without that field (API encoding): '' for Text, 0, false, null... */
export function defaultCellValue(t: ColType): CellValue {
  return null;
}

/** The same default as stored in SQLite (what encodeCell(t, defaultCellValue(t)) gives). */
export function defaultStoredValue(t: ColType): StoredValue {
  return null;
}

/** Rewrites a Ref:/RefList: type after its target table is renamed (undefined when unaffected). */
export function renameRefTarget(t: ColType, oldTable: string, newTable: string): string | undefined {
  return undefined;
}
