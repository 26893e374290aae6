import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { checkColumnType, checkOneStatement } from './grist-input.js';

const refused = (f: () => void): GatewayError => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('expected a GatewayError');
};

describe('checks before Grist', () => {
  it('accepts Grist column types and names the valid ones otherwise', () => {
    for (const t of ['Text', 'Numeric', 'Int', 'Bool', 'Date', 'DateTime:America/New_York', 'Choice', 'ChoiceList', 'Ref:People', 'RefList:People', 'Attachments', 'Any']) {
      expect(() => checkColumnType(t, 'type')).not.toThrow();
    }
    const err = refused(() => checkColumnType('Texty', 'columns[1].type'));
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^columns\[1\]\.type: "Texty" is not a Grist column type \(valid: Text, Numeric, /);
    expect(refused(() => checkColumnType('Ref', 'type')).code).toBe('INVALID_REQUEST');
  });

  it('accepts one statement with a trailing semicolon, quotes and comments; refuses two', () => {
    for (const sql of ['SELECT 1', 'SELECT 1;', 'SELECT 1;  \n', "SELECT ';' AS x", 'SELECT "a;b" FROM T', 'SELECT 1 -- ; DROP\n', 'SELECT /* ; */ 1', 'WITH a AS (SELECT 1) SELECT * FROM a']) {
      expect(() => checkOneStatement(sql), sql).not.toThrow();
    }
    for (const sql of ['SELECT 1; SELECT 2', 'SELECT 1;; ', 'SELECT 1; DELETE FROM T']) {
      expect(refused(() => checkOneStatement(sql)).code, sql).toBe('INVALID_REQUEST');
    }
  });
});
