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
  /** Each item already serialized as JSON. */
  json: string[];
  /** UTF-8 bytes of the items joined with commas (plus one). */
  bytes: number;
  /** The items joined with commas, when already built (saves joining them again for the request). */
  text?: string | undefined;
}

/** UTF-8 length of a JSON text (JSON.stringify leaves non-ASCII unescaped). */
function utf8Length(json: string): number {
  return Buffer.byteLength(json, 'utf8');
}

/** UTF-8 bytes of a chunk's items joined with commas. */
export function chunkBytes(chunk: Chunk): number {
  return chunk.bytes;
}

/** The chunk's items joined with commas. */
export function chunkText(chunk: Chunk): string {
  return chunk.text ?? chunk.json.join(',');
}

/**
 * Serializes items (given by request index) into chunks of at most `maxRows` items and at most `maxBytes`
 * bytes of items (an item larger than that goes alone), one chunk at a time, so that a writer can send a
 * chunk and build the next one while Grist works.
 *
 * Each item is serialized once. Sizes are counted as if the text were ASCII (one byte a character, no
 * per-item byte count), then each chunk is measured exactly once, whole: UTF-8 never takes fewer bytes
 * than characters, so only a chunk holding non-ASCII text can turn out larger, and only that one is
 * re-cut with exact per-item sizes.
 */
export class ChunkStream<T> {
  #next = 0;
  /** Byte budget of the next chunk built from items (the first one may be smaller, see the constructor). */
  #budget: number;
  /** Exactly sized pieces of a re-cut chunk, handed out before anything else. */
  readonly #pending: Chunk[] = [];

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
    return this.#pending.length === 0 && this.#next >= this.#count;
  }

  /** The next chunk, or undefined when all items are chunked. */
  next(): Chunk | undefined {
    const pending = this.#pending.shift();
    if (pending) return pending;
    if (this.#next >= this.#count) return undefined;
    const maxBytes = this.#budget;
    this.#budget = this.maxBytes;
    const chunk: Chunk = { indexes: [], json: [], bytes: 0 };
    let units = 0;
    while (this.#next < this.#count) {
      const index = this.indexes ? (this.indexes[this.#next] as number) : this.#next;
      const json = JSON.stringify(this.items[index]);
      const size = json.length + 1; // and a comma
      if (chunk.json.length > 0 && (chunk.json.length >= this.maxRows || units + size > maxBytes)) break;
      chunk.indexes.push(index);
      chunk.json.push(json);
      units += size;
      this.#next += 1;
    }
    const text = chunk.json.join(',');
    chunk.bytes = Buffer.byteLength(text, 'utf8') + 1;
    if (chunk.bytes === units || chunk.bytes <= maxBytes || chunk.json.length === 1) {
      chunk.text = text;
      return chunk;
    }
    // Non-ASCII text made the chunk too large: cut it again with exact sizes.
    this.#pending.push(...cutExactly(chunk, this.maxRows, maxBytes));
    return this.#pending.shift();
  }
}

/**
 * Whether the JSON of `items` (joined with commas) surely takes more than `bytes` bytes, from a lower
 * bound of each value's JSON length that stops as soon as it passes `bytes` (so it costs a fraction of
 * serializing): strings take at least their length plus quotes, numbers a character, `true`/`null` four.
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
      return 1;
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
        if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
        keys += 1;
        n += key.length + 3 + minJsonLength(v, depth + 1);
      }
      return n + Math.max(0, keys - 1);
    }
    default:
      return 0; // undefined, functions, symbols: left out (or `null` in lists, which only adds)
  }
}

/** Cuts a chunk's items into chunks with exact per-item UTF-8 sizes. */
function cutExactly(chunk: Chunk, maxRows: number, maxBytes: number): Chunk[] {
  const out: Chunk[] = [];
  let current: Chunk = { indexes: [], json: [], bytes: 0 };
  chunk.json.forEach((json, i) => {
    const size = utf8Length(json) + 1;
    if (current.json.length > 0 && (current.json.length >= maxRows || current.bytes + size > maxBytes)) {
      out.push(current);
      current = { indexes: [], json: [], bytes: 0 };
    }
    current.indexes.push(chunk.indexes[i] as number);
    current.json.push(json);
    current.bytes += size;
  });
  if (current.json.length > 0) out.push(current);
  return out;
}

/**
 * Splits items (given by request index) into chunks of at most `maxRows` items and at most `maxBytes`
 * bytes of items (an item larger than that goes alone); see {@link ChunkStream}.
 */
export function chunkItems<T>(items: readonly T[], indexes: readonly number[], maxRows: number, maxBytes: number): Chunk[] {
  const stream = new ChunkStream(items, indexes, maxRows, maxBytes);
  const chunks: Chunk[] = [];
  for (let chunk = stream.next(); chunk; chunk = stream.next()) chunks.push(chunk);
  return chunks;
}

/**
 * Splits a chunk Grist refused as too large into pieces of at most `maxBytes` (at least two pieces, so
 * the retry always makes progress).
 */
export function splitChunk(chunk: Chunk, maxBytes: number): Chunk[] {
  const budget = Math.min(maxBytes, Math.ceil(chunk.bytes / 2));
  const out: Chunk[] = [];
  let current: Chunk = { indexes: [], json: [], bytes: 0 };
  chunk.json.forEach((json, i) => {
    const size = utf8Length(json) + 1;
    if (current.json.length > 0 && current.bytes + size > budget) {
      out.push(current);
      current = { indexes: [], json: [], bytes: 0 };
    }
    current.indexes.push(chunk.indexes[i] as number);
    current.json.push(json);
    current.bytes += size;
  });
  if (current.json.length > 0) out.push(current);
  if (out.length === 1 && chunk.json.length > 1) {
    // Every item but the last fit: still split in two.
    const half = Math.ceil(chunk.json.length / 2);
    return [slice(chunk, 0, half), slice(chunk, half, chunk.json.length)];
  }
  return out;
}

function slice(chunk: Chunk, from: number, to: number): Chunk {
  const json = chunk.json.slice(from, to);
  return { indexes: chunk.indexes.slice(from, to), json, bytes: json.reduce((n, j) => n + utf8Length(j) + 1, 0) };
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
