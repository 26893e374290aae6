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
  /** UTF-8 bytes of the items joined with commas. */
  bytes: number;
}

const NON_ASCII = /[^\u0000-\u007f]/;

/** UTF-8 length of a JSON text (JSON.stringify leaves non-ASCII unescaped; ASCII is one byte a unit). */
function utf8Length(json: string): number {
  return NON_ASCII.test(json) ? Buffer.byteLength(json, 'utf8') : json.length;
}

/** UTF-8 bytes of a chunk's items joined with commas. */
export function chunkBytes(chunk: Chunk): number {
  return chunk.bytes;
}

/**
 * Splits items (given by request index) into chunks of at most `maxRows` items and at most `maxBytes`
 * bytes of items (an item larger than that goes alone). Each item is serialized once, here, and the
 * chunk body is built by joining (no second pass).
 */
export function chunkItems<T>(items: readonly T[], indexes: readonly number[], maxRows: number, maxBytes: number): Chunk[] {
  const chunks: Chunk[] = [];
  let current: Chunk = { indexes: [], json: [], bytes: 0 };
  for (const index of indexes) {
    const json = JSON.stringify(items[index]);
    const size = utf8Length(json) + 1; // and a comma
    if (current.json.length > 0 && (current.json.length >= maxRows || current.bytes + size > maxBytes)) {
      chunks.push(current);
      current = { indexes: [], json: [], bytes: 0 };
    }
    current.indexes.push(index);
    current.json.push(json);
    current.bytes += size;
  }
  if (current.json.length > 0) chunks.push(current);
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
