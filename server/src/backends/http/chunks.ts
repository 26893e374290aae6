/**
 * Splitting large writes into requests Grist accepts, and bounding concurrent requests per document.
 *
 * Grist refuses JSON bodies over its limit (1 MB by default) with 413 and answers 429 past 10 concurrent
 * requests per document, so writes go out in chunks sized by bytes (and a row cap) and at most a few
 * requests run at once. Fewer, larger requests are much cheaper for Grist than many small ones.
 */

/** One chunk: the serialized items and the request indexes they came from. */
export interface Chunk {
  /** Request indexes of the items in this chunk, ascending. */
  indexes: number[];
  /** UTF-8 bytes of the items joined with commas (plus one). */
  bytes: number;
  /** The items' JSON joined with commas (what goes between `[` and `]` in the request). */
  text: string;
  /** Each item's JSON on its own, when known (see {@link itemJson}). */
  json?: string[] | undefined;
  /** The list `indexes` point into, to serialize the items one by one when the chunk must be split. */
  items?: readonly unknown[] | undefined;
}

/** UTF-8 length of a JSON text (JSON.stringify leaves non-ASCII unescaped). */
function utf8Length(json: string): number {
  return Buffer.byteLength(json, 'utf8');
}

/** Each item of the chunk as its own JSON text (serialized again from the items when not kept). */
export function itemJson(chunk: Chunk): string[] {
  if (!chunk.json) {
    const items = chunk.items ?? [];
    chunk.json = chunk.indexes.map((i) => JSON.stringify(items[i]) ?? 'null');
  }
  return chunk.json;
}

/** A chunk of items already serialized one by one. */
function chunkOf(indexes: number[], json: string[], bytes: number): Chunk {
  return { indexes, json, bytes, text: json.join(',') };
}

/** Items serialized by the first JSON.stringify of a chunk (then blocks grow, see {@link ChunkStream}). */
const FIRST_BLOCK = 16;

/** Most items serialized by one JSON.stringify call. */
const MAX_BLOCK = 512;

/**
 * Serializes items (given by request index) into chunks of at most `maxRows` items and at most `maxBytes`
 * bytes of items (an item larger than that goes alone), one chunk at a time, so that a writer can send a
 * chunk and build the next one while Grist works.
 *
 * Items are serialized in blocks, one JSON.stringify of a list of them at a time: that takes about 30%
 * less time than one call per item (10,000 calls for a 10,000-row add). Each block is measured exactly
 * in UTF-8 bytes (so non-ASCII text never makes a chunk too large). A block aims at half the room left in
 * the chunk (from the bytes per item so far), so blocks shrink as the chunk fills and the last few items
 * go one by one; a block that does not fit after all is serialized again item by item.
 */
export class ChunkStream<T> {
  #next = 0;
  /** Byte budget of the next chunk built from items (the first one may be smaller, see the constructor). */
  #budget: number;
  readonly #count: number;

  /**
   * `indexes`: the request indexes to chunk, in order (undefined: every item, in order).
   * `firstMaxBytes`: a smaller budget for the first chunk only (default `maxBytes`).
   */
  constructor(
    private readonly items: readonly T[],
    private readonly indexes: readonly number[] | undefined,
    private readonly maxRows: number,
    private readonly maxBytes: number,
    firstMaxBytes = maxBytes,
  ) {
    this.#budget = Math.min(firstMaxBytes, maxBytes);
    this.#count = indexes ? indexes.length : items.length;
  }

  /** Whether chunks remain. */
  get done(): boolean {
    return this.#next >= this.#count;
  }

  /** The next chunk, or undefined when all items are chunked. */
  next(): Chunk | undefined {
    if (this.#next >= this.#count) return undefined;
    const maxBytes = this.#budget;
    this.#budget = this.maxBytes;
    const indexes: number[] = [];
    const parts: string[] = [];
    let bytes = 0;
    let block = FIRST_BLOCK;
    while (this.#next < this.#count && indexes.length < this.maxRows) {
      const room = maxBytes - bytes;
      const n = Math.min(block, this.#count - this.#next, this.maxRows - indexes.length);
      if (n > 1) {
        const list = JSON.stringify(this.#slice(this.#next, n));
        const size = utf8Length(list) - 1; // the items, their commas and one more: `[` and `]` are two
        if (size > room) {
          block = 1; // near the end of the chunk: item by item from here
          continue;
        }
        parts.push(list.slice(1, -1));
        for (let k = 0; k < n; k++) indexes.push(this.#indexAt(this.#next + k));
        this.#next += n;
        bytes += size;
        block = Math.max(1, Math.min(MAX_BLOCK, Math.floor(((room - size) * n) / size / 2)));
        continue;
      }
      const index = this.#indexAt(this.#next);
      const json = JSON.stringify(this.items[index]) ?? 'null';
      const size = utf8Length(json) + 1; // and a comma
      if (indexes.length > 0 && size > room) break;
      parts.push(json);
      indexes.push(index);
      this.#next += 1;
      bytes += size;
    }
    return { indexes, bytes, text: parts.join(','), items: this.items };
  }

  #indexAt(position: number): number {
    return this.indexes ? (this.indexes[position] as number) : position;
  }

  /** `n` items from `position` on (in request order). */
  #slice(position: number, n: number): T[] {
    if (!this.indexes) return this.items.slice(position, position + n);
    const out: T[] = [];
    for (let k = 0; k < n; k++) out.push(this.items[this.indexes[position + k] as number] as T);
    return out;
  }
}

/**
 * Whether the JSON of `items` (joined with commas) surely takes more than `bytes` bytes, from a lower
 * bound of each value's JSON length that stops as soon as it passes `bytes` (so it costs a fraction of
 * serializing): strings take at least their length plus quotes, numbers at least their digits, `true`
 * and `null` four characters.
 */
export function jsonSurelyLongerThan(items: readonly unknown[], bytes: number): boolean {
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    total += minJsonLength(items[i], 0) + 1;
    if (total > bytes) return true;
  }
  return false;
}

/** Own-key test that V8 optimizes inside `for...in` (`Object.hasOwn` there is several times slower). */
const hasOwnProperty = Object.prototype.hasOwnProperty;

function minJsonLength(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return value.length + 2;
    case 'number':
      return minNumberLength(value);
    case 'boolean':
      return 4;
    case 'object': {
      if (value === null) return 4;
      if (depth > 4) return 2;
      if (Array.isArray(value)) {
        let n = 2 + Math.max(0, value.length - 1);
        for (const v of value) n += minJsonLength(v, depth + 1);
        return n;
      }
      let n = 2;
      let keys = 0;
      for (const key in value) {
        if (!hasOwnProperty.call(value, key)) continue;
        const v = (value as Record<string, unknown>)[key];
        switch (typeof v) {
          // The usual cells, without a call each (a 10,000-row add has 100,000 of them).
          case 'string':
            n += key.length + 3 + v.length + 2;
            break;
          case 'number':
            n += key.length + 3 + minNumberLength(v);
            break;
          case 'boolean':
            n += key.length + 3 + 4;
            break;
          case 'undefined':
          case 'function':
          case 'symbol':
            continue;
          default:
            n += key.length + 3 + minJsonLength(v, depth + 1);
        }
        keys += 1;
      }
      return n + Math.max(0, keys - 1);
    }
    default:
      return 0; // undefined, functions, symbols: left out (or `null` in lists, which only adds)
  }
}

/**
 * At most the length of a number's JSON: its sign, at least its integer digits (`1e+21` and beyond: 5),
 * and a point and a digit when it has a fraction; `null` (4) for NaN and infinities.
 */
function minNumberLength(value: number): number {
  if (!Number.isFinite(value)) return 4;
  const a = Math.abs(value);
  const sign = value < 0 ? 1 : 0;
  const fraction = Number.isInteger(a) ? 0 : 2;
  const digits = a < 10 ? 1 : a < 100 ? 2 : a < 1e3 ? 3 : a < 1e4 ? 4 : a < 1e6 ? 5 : a < 1e9 ? 7 : a < 1e21 ? 10 : 5;
  return sign + fraction + digits;
}

/**
 * Splits a chunk Grist refused as too large into pieces of at most `maxBytes` (at least two pieces, so
 * the retry always makes progress).
 */
export function splitChunk(chunk: Chunk, maxBytes: number): Chunk[] {
  const budget = Math.min(maxBytes, Math.ceil(chunk.bytes / 2));
  const all = itemJson(chunk);
  const out: Chunk[] = [];
  let indexes: number[] = [];
  let json: string[] = [];
  let bytes = 0;
  all.forEach((item, i) => {
    const size = utf8Length(item) + 1;
    if (json.length > 0 && bytes + size > budget) {
      out.push(chunkOf(indexes, json, bytes));
      indexes = [];
      json = [];
      bytes = 0;
    }
    indexes.push(chunk.indexes[i] as number);
    json.push(item);
    bytes += size;
  });
  if (json.length > 0) out.push(chunkOf(indexes, json, bytes));
  if (out.length === 1 && all.length > 1) {
    // Every item but the last fit: still split in two.
    const half = Math.ceil(all.length / 2);
    return [slice(chunk, all, 0, half), slice(chunk, all, half, all.length)];
  }
  return out;
}

function slice(chunk: Chunk, all: string[], from: number, to: number): Chunk {
  const json = all.slice(from, to);
  return chunkOf(chunk.indexes.slice(from, to), json, json.reduce((n, j) => n + utf8Length(j) + 1, 0));
}

/**
 * Groups request indexes by the set of field names of each item (PATCH requires one key set per request),
 * in order of first appearance.
 */
export function groupByKeySet<T>(items: readonly T[], keysOf: (item: T) => string[]): number[][] {
  const groups = new Map<string, number[]>();
  items.forEach((item, index) => {
    const signature = JSON.stringify([...keysOf(item)].sort());
    let group = groups.get(signature);
    if (!group) groups.set(signature, (group = []));
    group.push(index);
  });
  return [...groups.values()];
}

/** A counting semaphore: at most `limit` holders at once, waiters served in arrival order. */
export class Semaphore {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`maxInFlight must be a positive integer, got ${limit}`);
  }

  /** Requests currently holding a slot. */
  get active(): number {
    return this.#active;
  }

  /** Waits for a slot; call the returned function exactly once to free it. */
  async acquire(): Promise<() => void> {
    if (this.#active >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // Hand the slot straight to the next waiter (active count unchanged), else free it.
      if (next) next();
      else this.#active -= 1;
    };
  }
}
