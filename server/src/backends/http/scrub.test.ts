import { describe, expect, it } from 'vitest';
import { secretScrubber } from './client.js';

describe('secretScrubber', () => {
  it('removes configured secrets, Bearer values and gateway tokens from upstream text', () => {
    const scrub = secretScrubber(['key-0123456789abcdef', undefined, 'abc']);
    expect(scrub('echo: key-0123456789abcdef and again key-0123456789abcdef')).toBe('echo: [redacted] and again [redacted]');
    expect(scrub('Authorization: Bearer sometoken.with-dots')).toBe('Authorization: Bearer [redacted]');
    expect(scrub('token gga_abcdefghijkl0123 / sess_ZYXWVUTS98765432')).toBe('token [redacted] / [redacted]');
    expect(scrub('abc stays: too short to be a secret')).toBe('abc stays: too short to be a secret');
  });
});
