/**
 * The timeouts of one client's requests in flight, on one timer. Every request of a client gets the same
 * delay, so deadlines fall in the order requests start: a queue in start order needs a timer only for its
 * head. The timer stays armed between requests (unref'd while nothing is in flight), so a request costs
 * no timer of its own: no Timeout object, no timer-list insertion and removal per request.
 */

interface Entry {
  /** When it times out (`performance.now()` clock). */
  at: number;
  onTimeout: () => void;
  done: boolean;
}

/** Timeouts of `delayMs` for requests in flight. */
export class Deadlines {
  readonly #delayMs: number;
  /** In start order (so in deadline order); `#head` is the first one not yet done or fired. */
  #queue: Entry[] = [];
  #head = 0;
  /** Armed for the deadline of some entry at or before the head (never later than the head's). */
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(delayMs: number) {
    this.#delayMs = delayMs;
  }

  /** Requests started and not yet done or timed out (for tests). */
  get pending(): number {
    let n = 0;
    for (let i = this.#head; i < this.#queue.length; i++) if (!(this.#queue[i] as Entry).done) n += 1;
    return n;
  }

  /**
   * Starts a deadline: `onTimeout` runs once `delayMs` have passed unless the returned function (call it
   * when the request is over, however it ended) ran first.
   */
  start(onTimeout: () => void): () => void {
    const entry: Entry = { at: performance.now() + this.#delayMs, onTimeout, done: false };
    this.#queue.push(entry);
    if (this.#timer === undefined) this.#arm(entry.at);
    else this.#timer.ref();
    return () => {
      if (entry.done) return;
      entry.done = true;
      this.#trim();
    };
  }

  /** Drops finished entries from the head; with none left, the timer no longer keeps the process alive. */
  #trim(): void {
    const queue = this.#queue;
    while (this.#head < queue.length && (queue[this.#head] as Entry).done) this.#head += 1;
    if (this.#head === queue.length) {
      this.#queue = [];
      this.#head = 0;
      this.#timer?.unref();
    } else if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #arm(at: number): void {
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - performance.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const queue = this.#queue;
    // Timers may fire a little early by this clock: anything due within a millisecond is due.
    while (this.#head < queue.length) {
      const entry = queue[this.#head] as Entry;
      if (!entry.done && entry.at > now + 1) break;
      this.#head += 1;
      if (!entry.done) {
        entry.done = true;
        entry.onTimeout();
      }
    }
    this.#trim();
    const next = this.#queue[this.#head];
    if (next !== undefined) this.#arm(next.at);
  }
}
