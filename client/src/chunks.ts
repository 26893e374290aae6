/**
 * Running a bulk write as chunks: a bounded number of calls in flight, progress after each chunk, and on
 * failure an exact account of what was written and what was not.
 */
import { gatewayError, type GatewayErrorCode, type GatewayErrorDetails } from './errors.js';
import type { TableOptions } from './types.js';

/** What {@link ChunkOptions.onProgress} receives after each chunk that was written. */
export interface ChunkProgress {
  /** Items written so far (all chunks completed up to now). */
  done: number;
  /** Items in the whole request. */
  total: number;
  /** The chunk just written: its position in the input and its size. */
  chunk: { index: number; start: number; size: number };
}

/** Options of the chunked helpers. */
export interface ChunkOptions extends TableOptions {
  /** Items per call (default 500). */
  chunkSize?: number;
  /** Calls in flight at once (default 2). */
  concurrency?: number;
  /**
   * Called after each chunk is written. Chunks complete out of order when `concurrency` > 1. If it
   * throws, no further chunk is started and the error is reported like a failed chunk.
   */
  onProgress?: (progress: ChunkProgress) => void;
}

/**
 * A chunked write that stopped partway. Chunks that succeeded stay written (each call is atomic, the
 * helpers do not undo them): `writtenIds` and `writtenIndexes` say exactly what is in the table now, and
 * `notWrittenIndexes` which input items to send again.
 */
export class BulkWriteError extends Error {
  override readonly name = 'BulkWriteError';
  /** The stable code of the failure that stopped the write. */
  readonly code: GatewayErrorCode;
  /** The details of that failure (table, column...). */
  readonly details: GatewayErrorDetails | null;
  /** Row ids written (added, updated or matched), in input order. */
  readonly writtenIds: number[];
  /** Indexes (into the input array) of the items written, ascending. */
  readonly writtenIndexes: number[];
  /** Indexes of the items not written, ascending: retry exactly these. */
  readonly notWrittenIndexes: number[];
  /** The error that stopped the write (usually a `GatewayClientError`). */
  override readonly cause: unknown;

  /** Builds the error from the first failure and the account of written items. */
  constructor(
    operation: string,
    table: string,
    cause: unknown,
    account: { writtenIds: number[]; writtenIndexes: number[]; notWrittenIndexes: number[] },
  ) {
    const gw = gatewayError(cause);
    const reason = gw ? `${gw.code}: ${gw.message}` : cause instanceof Error ? cause.message : String(cause);
    super(
      `${operation} on table "${table}" stopped: ${account.writtenIndexes.length} written, ` +
        `${account.notWrittenIndexes.length} not written (${reason})`,
      { cause },
    );
    this.cause = cause;
    this.code = gw?.code ?? 'INTERNAL_ERROR';
    this.details = gw?.details ?? null;
    this.writtenIds = account.writtenIds;
    this.writtenIndexes = account.writtenIndexes;
    this.notWrittenIndexes = account.notWrittenIndexes;
  }
}

/** The outcome of {@link runChunks}. */
export interface ChunkRun<R> {
  /** Per chunk (by index), the result of its call; `undefined` for chunks not (fully) written. */
  results: (R | undefined)[];
  /** The chunk boundaries: chunk `i` covers input items `[starts[i], starts[i] + sizes[i])`. */
  starts: number[];
  sizes: number[];
  /**
   * Failures, first one first, each with the chunk it happened in (`-1`: the progress callback threw).
   * Several when calls in flight failed together; empty when everything was written.
   */
  failures: { chunk: number; error: unknown }[];
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * Splits `items` into chunks and calls `write` on each, at most `concurrency` at a time. After the first
 * failure no new chunk starts; the calls already in flight are awaited, so the outcome is exact.
 */
export async function runChunks<T, R>(
  items: readonly T[],
  options: ChunkOptions,
  defaults: { chunkSize: number; concurrency: number },
  write: (chunk: T[], start: number) => Promise<R>,
): Promise<ChunkRun<R>> {
  const chunkSize = positiveInt('chunkSize', options.chunkSize, defaults.chunkSize);
  const concurrency = positiveInt('concurrency', options.concurrency, defaults.concurrency);
  const starts: number[] = [];
  const sizes: number[] = [];
  for (let start = 0; start < items.length; start += chunkSize) {
    starts.push(start);
    sizes.push(Math.min(chunkSize, items.length - start));
  }
  const results: (R | undefined)[] = new Array<R | undefined>(starts.length).fill(undefined);
  const failures: ChunkRun<R>['failures'] = [];
  let nextChunk = 0;
  let done = 0;

  const worker = async (): Promise<void> => {
    while (failures.length === 0 && nextChunk < starts.length) {
      const index = nextChunk++;
      const start = starts[index]!;
      const size = sizes[index]!;
      try {
        results[index] = await write(items.slice(start, start + size), start);
      } catch (error) {
        failures.push({ chunk: index, error });
        return;
      }
      done += size;
      try {
        options.onProgress?.({ done, total: items.length, chunk: { index, start, size } });
      } catch (error) {
        failures.push({ chunk: -1, error });
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, starts.length) }, worker));
  return { results, starts, sizes, failures };
}

/**
 * Builds the account of a run that failed: which input items were written and their row ids.
 * `written(chunk, result, error)` lists, for one chunk, the `[input index, row ids]` written: all items
 * of a chunk whose call succeeded, and for a failed call what its error says was written anyway.
 */
export function accountOf<R>(
  run: ChunkRun<R>,
  total: number,
  written: (chunk: number, result: R | undefined, error: unknown) => [index: number, ids: readonly number[]][],
): { writtenIds: number[]; writtenIndexes: number[]; notWrittenIndexes: number[] } {
  const errors = new Map(run.failures.map((f) => [f.chunk, f.error]));
  const writtenIds: number[] = [];
  const writtenIndexes: number[] = [];
  const isWritten = new Array<boolean>(total).fill(false);
  run.starts.forEach((_, chunk) => {
    for (const [index, ids] of written(chunk, run.results[chunk], errors.get(chunk))) {
      isWritten[index] = true;
      writtenIndexes.push(index);
      writtenIds.push(...ids);
    }
  });
  const notWrittenIndexes: number[] = [];
  isWritten.forEach((w, index) => {
    if (!w) notWrittenIndexes.push(index);
  });
  return { writtenIds, writtenIndexes, notWrittenIndexes };
}
