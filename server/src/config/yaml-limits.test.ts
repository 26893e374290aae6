/** Hostile config files fail fast with a clear error instead of hanging start-up. */
import { describe, expect, it } from 'vitest';
import { limits } from '../limits/index.js';
import { readYaml } from './yaml.js';

/** The "billion laughs": each level repeats the previous one nine times (9^9 nodes when expanded). */
function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= levels; i++) {
    const prev = `*a${i - 1}`;
    lines.push(`a${i}: &a${i} [${Array(9).fill(prev).join(', ')}]`);
  }
  return lines.join('\n') + '\n';
}

describe('config YAML limits', () => {
  it('rejects an alias bomb quickly, naming the cause', () => {
    const started = performance.now();
    const result = readYaml(aliasBomb(9));
    const elapsed = performance.now() - started;
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]).toMatch(/more than 100000 values once its aliases/);
    expect(elapsed).toBeLessThan(2000);
  });

  it('rejects a self-referencing alias instead of recursing forever', () => {
    const result = readYaml('a: &a\n  b: *a\n');
    expect(result.ok).toBe(false);
  });

  it('still resolves ordinary aliases', () => {
    const result = readYaml('base: &p [read, write]\nother: *p\n');
    expect(result).toEqual({ ok: true, value: { base: ['read', 'write'], other: ['read', 'write'] } });
  });

  it('rejects a file over the size limit before parsing it', () => {
    const result = readYaml(`x: "${'y'.repeat(limits.maxConfigBytes)}"\n`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatch(/larger than the limit of 1048576 bytes/);
  });
});
