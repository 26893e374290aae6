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

/** Base types that take no `:suffix`. */
const PLAIN: ReadonlySet<string> = new Set<BaseType>([
  'Any', 'Text', 'Numeric', 'Int', 'Bool', 'Date', 'Choice', 'ChoiceList', 'Attachments', 'ManualSortPos',
  'PositionNumber', 'Id',
]);

/** Parses a Grist column type; undefined for an unknown type name. */
export function parseColType(raw: string): ColType | undefined {
  const i = raw.indexOf(':');
  const name = i < 0 ? raw : raw.slice(0, i);
  const arg = i < 0 ? undefined : raw.slice(i + 1);
  if (name === 'Ref' || name === 'RefList') {
    // A reference type needs its target table; the target need not exist (01 create-table-ref-to-missing-table).
    return arg ? { raw, base: name, refTable: arg } : undefined;
  }
  if (name === 'DateTime') {
    return { raw, base: 'DateTime', timezone: arg ? arg : 'UTC' };
  }
  if (!PLAIN.has(name) || arg !== undefined) { return undefined; }
  if (name === 'Attachments') { return { raw, base: 'Attachments', refTable: '_grist_Attachments' }; }
  return { raw, base: name as BaseType };
}

/** The name Grist's error quotes for an unknown type: 'Bogus' for 'Bogus' and 'Bogus:X'. */
export function unknownTypeName(raw: string): string {
  const i = raw.indexOf(':');
  return i < 0 ? raw : raw.slice(0, i);
}

/** What a cell holds when a record is created without that field (API encoding): '' for Text, 0, false, null...
 *  ManualSortPos/PositionNumber have no fixed default (the store assigns the next position): null here. */
export function defaultCellValue(t: ColType): CellValue {
  switch (t.base) {
    case 'Text': case 'Choice': return '';
    case 'Numeric': case 'Int': case 'Ref': case 'Id': return 0;
    case 'Bool': return false;
    default: return null;
  }
}

/** The same default as stored in SQLite (what encodeCell(t, defaultCellValue(t)) gives). */
export function defaultStoredValue(t: ColType): StoredValue {
  switch (t.base) {
    case 'Text': case 'Choice': return '';
    case 'Numeric': case 'Int': case 'Ref': case 'Id': case 'Bool': return 0;
    default: return null;
  }
}

/** Rewrites a Ref:/RefList: type after its target table is renamed (undefined when unaffected). */
export function renameRefTarget(t: ColType, oldTable: string, newTable: string): string | undefined {
  if ((t.base === 'Ref' || t.base === 'RefList') && t.refTable === oldTable) {
    return `${t.base}:${newTable}`;
  }
  return undefined;
}
