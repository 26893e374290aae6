import { describe, expect, it } from 'vitest';
import { sameKeysInOrder } from './same-keys.js';

describe('sameKeysInOrder', () => {
  it('is true only when every record names the same fields in the same order', () => {
    expect(sameKeysInOrder([])).toBe(true);
    expect(sameKeysInOrder([{ fields: { A: 1, B: 2 } }, { fields: { A: 3, B: null } }])).toBe(true);
    expect(sameKeysInOrder([{ fields: {} }, { fields: {} }])).toBe(true);
    expect(sameKeysInOrder([{ fields: { A: 1, B: 2 } }, { fields: { B: 3, A: 4 } }])).toBe(false);
    expect(sameKeysInOrder([{ fields: { A: 1, B: 2 } }, { fields: { A: 3 } }])).toBe(false);
    expect(sameKeysInOrder([{ fields: { A: 1 } }, { fields: { A: 3, B: 4 } }])).toBe(false);
    expect(sameKeysInOrder([{ fields: { A: 1 } }, { fields: { C: 3 } }])).toBe(false);
    expect(sameKeysInOrder([{ fields: { A: 1 } }, {}])).toBe(false);
    expect(sameKeysInOrder([{}, { fields: { A: 1 } }])).toBe(false);
    expect(sameKeysInOrder([{ fields: [1] }])).toBe(false);
  });
});
