import { describe, expect, it } from 'vitest';
import { unmarshal, MarshalError } from './marshal.js';
import { decodeCell } from './sql-cells.js';

describe('Python marshal decoding of Grist blobs', () => {
  it("decodes the blobs /sql returns (grist-api.md 7.4)", () => {
    // ['E', 'ZeroDivisionError'] as stored for an error cell (05 get-select-star `Broken`).
    const error = [91, 2, 0, 0, 0, 117, 1, 0, 0, 0, 69, 117, 17, 0, 0, 0, ...Buffer.from('ZeroDivisionError')];
    expect(unmarshal(Uint8Array.from(error))).toEqual(['E', 'ZeroDivisionError']);
    expect(unmarshal(Uint8Array.from([84]))).toBe(true);
    expect(unmarshal(Uint8Array.from([70]))).toBe(false);
    expect(unmarshal(Uint8Array.from([105, 7, 0, 0, 0]))).toBe(7);
    expect(unmarshal(Uint8Array.from([0xe9, 2, 0, 0, 0]))).toBe(2); // 'i' with the reference flag
    expect(() => unmarshal(Uint8Array.from([91, 9, 0, 0, 0]))).toThrow(MarshalError);
    expect(decodeCell('Numeric', { type: 'Buffer', data: error })).toEqual({ error: 'ZeroDivisionError' });
    expect(decodeCell('Any', { type: 'Buffer', data: [84] })).toEqual({ value: true });
    expect(decodeCell('Bool', 1)).toEqual({ value: true });
    expect(decodeCell('ChoiceList', '["a","b"]')).toEqual({ value: ['L', 'a', 'b'] });
    expect(decodeCell('RefList:T', '[]')).toEqual({ value: null });
  });
});
