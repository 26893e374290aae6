import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorCodeNames, errorCodes, errorStatus, formatPath, formatZodIssues, isErrorCode } from '../src/index.js';

describe('error codes', () => {
  it('maps every code to its documented HTTP status', () => {
    expect(Object.fromEntries(errorCodeNames.map((c) => [c, errorStatus(c)]))).toEqual({
      INVALID_TOKEN: 401,
      TOKEN_EXPIRED: 401,
      UNAUTHORIZED: 403,
      INVALID_REQUEST: 400,
      NOT_FOUND: 404,
      PAYLOAD_TOO_LARGE: 413,
      GRIST_ERROR: 502,
      RATE_LIMITED: 429,
      UNAVAILABLE: 503,
      INTERNAL_ERROR: 500,
    });
  });

  it('gives every code a one-line meaning', () => {
    for (const code of errorCodeNames) {
      expect(errorCodes[code].meaning).toMatch(/^[A-Z].{10,}\.$/);
      expect(errorCodes[code].meaning).not.toMatch(/\n/);
    }
  });

  it('recognises codes', () => {
    expect(isErrorCode('NOT_FOUND')).toBe(true);
    expect(isErrorCode('not_found')).toBe(false);
    expect(isErrorCode('constructor')).toBe(false);
  });
});

describe('formatZodIssues', () => {
  const schema = z.object({
    records: z.array(z.object({ fields: z.record(z.string(), z.number()) })),
    limit: z.int().positive().optional(),
  });

  it('names the field path of each issue', () => {
    const input = { records: [{ fields: {} }, { fields: {} }, { fields: 'x' }] };
    const error = schema.safeParse(input).error;
    if (!error) throw new Error('should fail');
    expect(formatZodIssues(error, input)).toBe('records[2].fields: expected object, got string');
    // Without the input, the type still comes from zod's message.
    expect(formatZodIssues(error)).toBe('records[2].fields: expected object, got string');
  });

  it('reports missing fields and joins several issues', () => {
    const input = { limit: -1 };
    const error = schema.safeParse(input).error;
    if (!error) throw new Error('should fail');
    const message = formatZodIssues(error, input);
    expect(message).toMatch(/^records: required field is missing; limit: /);
    expect(formatZodIssues(error)).toMatch(/^records: required field is missing; limit: /);
  });

  it('reports unknown keys of strict objects', () => {
    const error = z.strictObject({ a: z.string() }).safeParse({ a: 'x', b: 1, c: 2 }).error;
    if (!error) throw new Error('should fail');
    expect(formatZodIssues(error)).toBe('unknown fields: b, c');
  });

  it('formats paths with indexes and quoted odd keys', () => {
    expect(formatPath(['records', 2, 'fields'])).toBe('records[2].fields');
    expect(formatPath(['filter', 'Unit price'])).toBe('filter["Unit price"]');
    expect(formatPath([])).toBe('');
  });
});
