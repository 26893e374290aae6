import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateAgentToken, randomToken, sha256Hex, tokenHint } from './tokens.js';

describe('tokens', () => {
  it('sha256Hex is the lower-case hex SHA-256 of the UTF-8 text', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('é')).toBe(createHash('sha256').update(Buffer.from('é', 'utf8')).digest('hex'));
  });

  it('generateAgentToken gives gga_ + 32 random bytes and its digest', () => {
    const { token, sha256 } = generateAgentToken();
    expect(token).toMatch(/^gga_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    expect(sha256).toBe(sha256Hex(token));
    expect(generateAgentToken().token).not.toBe(token);
  });

  it('randomToken uses the prefix', () => {
    expect(randomToken('sess_')).toMatch(/^sess_[A-Za-z0-9_-]{43}$/);
  });

  it('tokenHint shows at most 8 characters and at most a quarter of the token', () => {
    const token = randomToken('sess_');
    expect(tokenHint(token)).toBe(`${token.slice(0, 8)}…`);
    expect(tokenHint('abcdefgh')).toBe('ab…');
    expect(tokenHint('abc')).toBe('…');
  });
});
