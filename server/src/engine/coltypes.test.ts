/** Tests of column type parsing, defaults (02 add-empty-records) and Ref target renames (01). */
import { describe, expect, it } from 'vitest';
import { decodeCell } from './cells.js';
import { defaultCellValue, defaultStoredValue, parseColType, renameRefTarget, unknownTypeName, type ColType } from './coltypes.js';

function ct(raw: string): ColType {
  const t = parseColType(raw);
  if (!t) { throw new Error(`bad type ${raw}`); }
  return t;
}

describe('parseColType', () => {
  it('parses every Grist type', () => {
    expect(parseColType('Numeric')).toEqual({ raw: 'Numeric', base: 'Numeric' });
    expect(parseColType('Ref:People')).toEqual({ raw: 'Ref:People', base: 'Ref', refTable: 'People' });
    expect(parseColType('RefList:People')).toEqual({ raw: 'RefList:People', base: 'RefList', refTable: 'People' });
    expect(parseColType('Attachments')).toEqual({ raw: 'Attachments', base: 'Attachments', refTable: '_grist_Attachments' });
    expect(parseColType('DateTime:America/New_York')).toEqual({ raw: 'DateTime:America/New_York', base: 'DateTime', timezone: 'America/New_York' });
    expect(parseColType('DateTime')?.timezone).toBe('UTC');
    for (const raw of ['Any', 'Text', 'Int', 'Bool', 'Date', 'Choice', 'ChoiceList', 'ManualSortPos', 'PositionNumber', 'Id']) {
      expect(parseColType(raw)?.base).toBe(raw);
    }
  });
  it('rejects unknown types and names them as Grist does', () => {
    expect(parseColType('Bogus')).toBeUndefined();
    expect(parseColType('Bogus:X')).toBeUndefined();
    expect(parseColType('Ref')).toBeUndefined();
    expect(parseColType('Text:x')).toBeUndefined();
    expect(unknownTypeName('Bogus')).toBe('Bogus');
    expect(unknownTypeName('Bogus:X')).toBe('Bogus');
  });
});

describe('defaults (02 add-empty-records: row 21)', () => {
  it('match what Grist reads back for a record created without fields', () => {
    const row21: Record<string, unknown> = {
      Text: '', Numeric: 0, Int: 0, Bool: false, Date: null, 'DateTime:UTC': null, Choice: '', ChoiceList: null,
      'Ref:People': 0, 'RefList:People': null, Attachments: null, Any: null,
    };
    for (const [raw, value] of Object.entries(row21)) {
      expect({ raw, v: defaultCellValue(ct(raw)) }).toEqual({ raw, v: value });
      expect({ raw, v: decodeCell(ct(raw), defaultStoredValue(ct(raw))) }).toEqual({ raw, v: value });
    }
    expect(defaultStoredValue(ct('Bool'))).toBe(0);
  });
});

describe('renameRefTarget (01 columns-goods-after-people-rename)', () => {
  it('rewrites Ref and RefList types pointing to the renamed table only', () => {
    expect(renameRefTarget(ct('Ref:People'), 'People', 'Persons')).toBe('Ref:Persons');
    expect(renameRefTarget(ct('RefList:People'), 'People', 'Persons')).toBe('RefList:Persons');
    expect(renameRefTarget(ct('Ref:Other'), 'People', 'Persons')).toBeUndefined();
    expect(renameRefTarget(ct('Text'), 'People', 'Persons')).toBeUndefined();
    expect(renameRefTarget(ct('Attachments'), '_grist_Attachments', 'X')).toBeUndefined();
  });
});
