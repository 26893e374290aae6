/** The lane of long work: one step per turn of the event loop, in arrival order, I/O in between. */
import { describe, expect, it } from 'vitest';
import { nextTurn } from './turns.js';

describe('nextTurn', () => {
  it('lets one step go per turn of the event loop, round-robin between operations', async () => {
    const log: string[] = [];
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const operation = async (name: string): Promise<void> => {
      for (let step = 0; step < 3; step++) {
        await nextTurn();
        log.push(`${name}${step}`);
      }
    };
    await Promise.all(['a', 'b', 'c', 'd'].map(operation));
    counting = false;
    expect(log).toEqual(['a0', 'b0', 'c0', 'd0', 'a1', 'b1', 'c1', 'd1', 'a2', 'b2', 'c2', 'd2']);
    // Twelve steps took at least twelve turns: other callbacks ran between every two of them.
    expect(turns).toBeGreaterThanOrEqual(12);
  });
});
