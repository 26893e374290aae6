/**
 * Splitting large writes into requests Grist accepts, and bounding concurrent requests per document.
 *
 * Grist refuses JSON bodies over 1 MB (413) and answers 429 past 10 concurrent requests per document, so
 * writes go out in chunks (by row count and by serialized size) and at most a few requests run at once.
 */

/** Grist's body limit is 1 MB; stay clearly under it (the envelope and multi-byte text need room). */
export const DEFAULT_MAX_CHUNK_BYTES = 900_000;

/** One chunk: the serialized items and the request indexes they came from. */
export interface Chunk {
  /** Request indexes of the items in this chunk, ascending. */
  indexes: number[];
  /** Each item already serialized as JSON. */
  json: string[];
}

/**
 * Splits items (given by request index) into chunks of at most `maxRows` items and about `maxBytes` of
 * JSON. Each item is serialized once, here, and the chunk body is built by joining (no second pass).
 */
export function chunkItems<T>(items: readonly T[], indexes: readonly number[], maxRows: number, maxBytes = DEFAULT_MAX_CHUNK_BYTES): Chunk[] {
  const chunks: Chunk[] = [];
  let current: Chunk = { indexes: [], json: [] };
  let bytes = 0;
  for (const index of indexes) {
    const json = JSON.stringify(items[index]);
    // String length undercounts multi-byte UTF-8; the 10% margin under 1 MB covers typical text.
    if (current.json.length > 0 && (current.json.length >= maxRows || bytes + json.length + 1 > maxBytes)) {
      chunks.push(current);
      current = { indexes: [], json: [] };
      bytes = 0;
    }
    current.indexes.push(index);
    current.json.push(json);
    bytes += json.length + 1;
  }
  if (current.json.length > 0) chunks.push(current);
  return chunks;
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
