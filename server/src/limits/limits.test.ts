/** The README's "Limits" table lists every limit of server/src/limits with its name. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { limits } from './index.js';

describe('limits', () => {
  it('are all documented in the README', () => {
    const readme = fs.readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Limits'));
    for (const name of Object.keys(limits)) expect(section, name).toContain(`| \`${name}\` |`);
  });
});
