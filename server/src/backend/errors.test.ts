import { describe, expect, it } from 'vitest';
import { GristError, isGristError } from './errors.js';

describe('GristError', () => {
  it('serialises to the JSON body Grist sends', () => {
    const plain = new GristError(404, 'Table not found "Nope"');
    expect(plain.toJSON()).toEqual({ error: 'Table not found "Nope"' });
    const detailed = new GristError(400, 'Invalid payload', { userError: 'Error: body.records is not an array' });
    expect(detailed.toJSON()).toEqual({
      error: 'Invalid payload',
      details: { userError: 'Error: body.records is not an array' },
    });
    expect(JSON.stringify(detailed)).toBe(
      '{"error":"Invalid payload","details":{"userError":"Error: body.records is not an array"}}',
    );
  });

  it('is recognised by isGristError and keeps status and extra facts', () => {
    const err = new GristError(400, 'Invalid column "X"', undefined, { kind: 'column', table: 'T', column: 'X' });
    expect(isGristError(err)).toBe(true);
    expect(isGristError(new Error('x'))).toBe(false);
    expect(err.status).toBe(400);
    expect(err.extra?.column).toBe('X');
    expect(err).toBeInstanceOf(Error);
  });
});
