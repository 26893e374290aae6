/** `allowed_origins:` in the config: a list of origins, each checked, with the bad entries named. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse.js';

const base = 'documents: {}\ntokens: []\n';

describe('allowed_origins', () => {
  it('is read as a list of origins', () => {
    const config = parseConfig(`${base}allowed_origins: [https://app.example.com, 'http://localhost:*']\n`, { baseDir: '/tmp' });
    expect(config.allowedOrigins).toEqual(['https://app.example.com', 'http://localhost:*']);
    expect(parseConfig(base, { baseDir: '/tmp' }).allowedOrigins).toBeUndefined();
  });

  it('names each entry that is not an origin', () => {
    try {
      parseConfig(`${base}allowed_origins: [https://ok.example, 'evil.example', 'ftp://x.example']\n`, { baseDir: '/tmp' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        'allowed_origins[1]: "evil.example" is not an origin like https://app.example.com or http://localhost:*',
        'allowed_origins[2]: "ftp://x.example" is not an origin like https://app.example.com or http://localhost:*',
      ]);
    }
  });
});
