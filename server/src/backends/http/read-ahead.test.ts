import { describe, expect, it } from 'vitest';
import type { SortPosition } from '../../backend/types.js';
import { MAX_READ_AHEAD_FETCH, MAX_READ_AHEAD_ROWS, READ_AHEAD_PAGES, READ_AHEAD_TTL_MS, ReadAhead } from './read-ahead.js';

/** Positions of rows from..from+n-1 sorted by a value `v = id * 10`. */
function rows(from: number, n: number): SortPosition[] {
  return Array.from({ length: n }, (_, i) => ({ id: from + i, values: [(from + i) * 10], manualSort: from + i }));
}

describe('sorted read-ahead positions', () => {
  const walk = { table: 'T', sort: 'v' };

  it('answers the page after a kept position, with the version it was read at', () => {
    const ahead = new ReadAhead();
    ahead.keep(walk, 'h1', rows(1, 40), false);
    const hit = ahead.find(walk, { id: 10, values: [100] }, 10);
    expect(hit?.version).toBe('h1');
    expect(hit?.positions.map((p) => p.id)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(hit?.positions[0]).toEqual({ id: 11, values: [110], manualSort: 11 });
  });

  it('does not answer what it cannot answer whole', () => {
    const ahead = new ReadAhead();
    ahead.keep(walk, 'h1', rows(1, 40), false);
    expect(ahead.find(walk, { id: 35, values: [350] }, 10)).toBeUndefined(); // rows beyond 40 were not read
    expect(ahead.find(walk, { id: 10, values: [999] }, 10)).toBeUndefined(); // same id, other position
    expect(ahead.find({ ...walk, sort: '-v' }, { id: 10, values: [100] }, 10)).toBeUndefined();
    expect(ahead.find({ ...walk, filter: { v: [10] } }, { id: 10, values: [100] }, 10)).toBeUndefined();
    // At the end of the table a short page is the whole answer.
    ahead.keep(walk, 'h1', rows(1, 40), true);
    expect(ahead.find(walk, { id: 35, values: [350] }, 10)?.positions.map((p) => p.id)).toEqual([36, 37, 38, 39, 40]);
    expect(ahead.find(walk, { id: 40, values: [400] }, 10)?.positions).toEqual([]);
  });

  it('keeps one entry per walk, at most MAX_READ_AHEAD_ROWS positions, for at most READ_AHEAD_TTL_MS', () => {
    let now = 0;
    const ahead = new ReadAhead(() => now);
    ahead.keep(walk, 'h1', rows(1, 40), false);
    ahead.keep(walk, 'h2', rows(41, 40), false);
    expect(ahead.find(walk, { id: 10, values: [100] }, 5)).toBeUndefined();
    expect(ahead.find(walk, { id: 50, values: [500] }, 5)?.version).toBe('h2');
    const big = MAX_READ_AHEAD_ROWS / 2 + 1;
    ahead.keep({ table: 'A', sort: 'v' }, 'h', rows(1, big), false);
    ahead.keep({ table: 'B', sort: 'v' }, 'h', rows(1, big), false);
    expect(ahead.find(walk, { id: 50, values: [500] }, 5)).toBeUndefined(); // the oldest walks went first
    expect(ahead.find({ table: 'A', sort: 'v' }, { id: 1, values: [10] }, 5)).toBeUndefined();
    expect(ahead.find({ table: 'B', sort: 'v' }, { id: 1, values: [10] }, 5)).toBeDefined();
    now += READ_AHEAD_TTL_MS;
    expect(ahead.find({ table: 'B', sort: 'v' }, { id: 1, values: [10] }, 5)).toBeUndefined();
  });

  it('forgets a table on request', () => {
    const ahead = new ReadAhead();
    ahead.keep(walk, 'h1', rows(1, 40), false);
    ahead.keep({ table: 'U', sort: 'v' }, 'h1', rows(1, 40), false);
    ahead.forget('T');
    expect(ahead.find(walk, { id: 10, values: [100] }, 5)).toBeUndefined();
    expect(ahead.find({ table: 'U', sort: 'v' }, { id: 10, values: [100] }, 5)).toBeDefined();
    ahead.forget();
    expect(ahead.find({ table: 'U', sort: 'v' }, { id: 10, values: [100] }, 5)).toBeUndefined();
  });

  it('reads ahead several pages, not for large pages', () => {
    const ahead = new ReadAhead();
    expect(ahead.fetchLimit(501)).toBe(501 * READ_AHEAD_PAGES);
    expect(ahead.fetchLimit(Math.floor(MAX_READ_AHEAD_FETCH / READ_AHEAD_PAGES) + 1)).toBeUndefined();
  });
});
