import { describe, expect, it } from 'vitest';
import { secretPrefix } from './log.js';

describe('secretPrefix', () => {
  it('shows at most the first characters of a secret', () => {
    expect(secretPrefix('sess_abcdefghijklmnop')).toBe('sess_abc…');
    expect(secretPrefix('short')).toBe('…');
    expect(secretPrefix('gga_0123456789', 4)).toBe('gga_…');
  });
});
