import { describe, expect, it } from 'vitest';
import { OTHER_COLUMNS, rowDecoder, UndecodableCell, type DecodeColumn } from './sql-cells.js';

const columns: DecodeColumn[] = [
  { id: 'manualSort', type: 'ManualSortPos', hidden: true },
  { id: 'Name', type: 'Text', hidden: false },
  { id: 'Paid', type: 'Bool', hidden: false },
  { id: 'Tags', type: 'ChoiceList', hidden: false },
  { id: 'Qty', type: 'Int', hidden: false },
];

/** A blob as `/sql` sends it, holding JSON text (the embedded engine's stand-in for Python marshal). */
function blob(value: unknown): { type: 'Buffer'; data: number[] } {
  return { type: 'Buffer', data: [...Buffer.from(JSON.stringify(value), 'utf8')] };
}

describe('rowDecoder: /sql rows as GET /records encodes them', () => {
  it('decodes each type, in column order, hidden columns only when asked', () => {
    const row = { id: 3, manualSort: 3, Name: 'Pen', Paid: 1, Tags: '["a","b"]', Qty: null };
    expect(rowDecoder(columns, false)({ ...row })).toEqual({ id: 3, fields: { Name: 'Pen', Paid: true, Tags: ['L', 'a', 'b'], Qty: null } });
    expect(Object.keys((rowDecoder(columns, false)({ ...row }) as { fields: object }).fields)).toEqual(['Name', 'Paid', 'Tags', 'Qty']);
    expect(rowDecoder(columns, true)({ ...row })).toEqual({ id: 3, fields: { manualSort: 3, Name: 'Pen', Paid: true, Tags: ['L', 'a', 'b'], Qty: null } });
  });

  it('keeps alt text, maps an empty list to null and reports error cells in errors', () => {
    const row = { id: 1, manualSort: 1, Name: blob(['E', 'ZeroDivisionError']), Paid: 'maybe', Tags: '[]', Qty: 'lots' };
    expect(rowDecoder(columns, false)(row)).toEqual({ id: 1, fields: { Name: null, Paid: 'maybe', Tags: null, Qty: 'lots' }, errors: { Name: 'ZeroDivisionError' } });
  });

  it('answers OTHER_COLUMNS for a column added, removed or renamed', () => {
    const decode = rowDecoder(columns, false);
    const base = { id: 1, manualSort: 1, Name: 'a', Paid: 0, Tags: null, Qty: 2 };
    expect(decode({ ...base, Extra: 1 })).toBe(OTHER_COLUMNS);
    const { Qty: _qty, ...removed } = base;
    expect(decode(removed)).toBe(OTHER_COLUMNS);
    expect(decode({ ...removed, Quantity: 2 })).toBe(OTHER_COLUMNS);
  });

  it('is not fooled by a column named like an Object.prototype property', () => {
    const decode = rowDecoder([{ id: 'constructor', type: 'Text', hidden: false }], false);
    expect(decode({ id: 1, constructor: 'x' })).toEqual({ id: 1, fields: { constructor: 'x' } });
    // `constructor` renamed to `Other`: row.constructor would be Object's, the row is not the expected one.
    expect(decode({ id: 1, Other: 'x' })).toBe(OTHER_COLUMNS);
  });

  it('refuses a row without a numeric id and an object it cannot decode', () => {
    const decode = rowDecoder(columns, false);
    expect(() => decode({ manualSort: 1, Name: 'a', Paid: 0, Tags: null, Qty: 2 })).toThrow(UndecodableCell);
    expect(() => decode({ id: 1, manualSort: 1, Name: { x: 1 }, Paid: 0, Tags: null, Qty: 2 })).toThrow(UndecodableCell);
  });

  it('prepares one decoder per column list and mode', () => {
    expect(rowDecoder(columns, false)).toBe(rowDecoder(columns, false));
    expect(rowDecoder(columns, true)).not.toBe(rowDecoder(columns, false));
  });
});
