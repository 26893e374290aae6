import { describe, expect, it } from 'vitest';
import { Deadlines } from './deadlines.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Deadlines: one timer for the timeouts of requests in flight', () => {
  it('times out only the requests still in flight after the delay, each once, in start order', async () => {
    const deadlines = new Deadlines(60);
    const fired: string[] = [];
    const doneA = deadlines.start(() => fired.push('a'));
    await sleep(20);
    deadlines.start(() => fired.push('b'));
    const doneC = deadlines.start(() => fired.push('c'));
    doneA();
    doneC();
    doneC();
    expect(deadlines.pending).toBe(1);
    await sleep(55);
    // a was done, b is due at ~80 ms.
    expect(fired).toEqual([]);
    await sleep(40);
    expect(fired).toEqual(['b']);
    expect(deadlines.pending).toBe(0);
  });

  it('never fires before the delay, whenever the shared timer was armed', async () => {
    const deadlines = new Deadlines(50);
    const started = performance.now();
    deadlines.start(() => {})(); // arms the timer for started+50, done at once
    await sleep(30);
    let at = 0;
    const second = performance.now();
    deadlines.start(() => (at = performance.now()));
    await sleep(90);
    expect(at).toBeGreaterThan(0);
    expect(at - second).toBeGreaterThanOrEqual(49);
    expect(second - started).toBeGreaterThanOrEqual(29);
  });

  it('keeps working across many requests and after going idle', async () => {
    const deadlines = new Deadlines(20);
    for (let i = 0; i < 5000; i++) deadlines.start(() => {})();
    expect(deadlines.pending).toBe(0);
    await sleep(40);
    let fired = false;
    deadlines.start(() => (fired = true));
    await sleep(50);
    expect(fired).toBe(true);
  });
});
