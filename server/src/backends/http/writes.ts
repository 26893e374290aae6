/**
 * Chunked record writes. A write that fits one request is sent as is, so Grist's answer (and error) reaches
 * the caller unchanged and the write stays atomic. A larger write is split by bytes (the document's
 * request budget, `capabilities.ts`; see `chunks.ts`). When Grist answers 413 nothing was written, so that
 * chunk is split in two and sent again (and the document's budget is lowered). When a chunk fails
 * otherwise, the thrown {@link GristError} keeps Grist's status, text and details, and `extra` says exactly
 * which rows were written (`writtenIds`) and which request entries were not (`notWritten`), so a script
 * can resume without duplicates.
 *
 * Deleting uses `POST /records/delete`, or on servers older than Grist 1.7.5 `POST /apply` with
 * `BulkRemoveRecord` (learned once per document).
 */
import { GristError } from '../../backend/errors.js';
import type { Fields, UpsertOptions, UpsertRecord, UpsertResult, WriteOptions } from '../../backend/types.js';
import { isMissingRoute, isTooLarge, type DocCapabilities } from './capabilities.js';
import { ChunkStream, groupByKeySet, jsonSurelyLongerThan, splitChunk, type Chunk } from './chunks.js';
import { sameKeysInOrder } from '../../util/same-keys.js';
import { seg, type GristClient } from './client.js';
import { idsAt, isObject, malformed } from './shapes.js';

/** Ids per `POST /records/delete` request (about 100 KB of JSON). */
const IDS_PER_DELETE = 10_000;

/** Items serialized to estimate the size of a large write (see {@link firstChunkBudget}). */
const SAMPLE_ITEMS = 64;

/** Bytes of `{"records":[` and `]}` around a chunk's items. */
const ENVELOPE_BYTES = 16;

/** Chunked writes of one document. */
export class RecordWriter {
  constructor(
    private readonly client: GristClient,
    private readonly chunkSize: number,
    private readonly maxInFlight: number,
    private readonly caps: DocCapabilities,
  ) {}

  /** Bytes of one chunk's items: the budget minus the envelope `{"records":[...]}`. */
  get #itemBudget(): number {
    return this.caps.maxRequestBytes - ENVELOPE_BYTES;
  }

  /**
   * Sends `chunks[k]`; on 413 replaces it in `chunks` by its halves (nothing was written) and answers
   * false so the caller sends `chunks[k]` again. Other failures are thrown.
   */
  async #sendOrSplit(chunks: Chunk[], k: number, send: (chunk: Chunk) => Promise<void>): Promise<boolean> {
    const chunk = chunks[k] as Chunk;
    // Built before a 413 lowered the document's budget: split now rather than be refused again.
    if (chunk.indexes.length > 1 && chunk.bytes + ENVELOPE_BYTES > this.caps.maxRequestBytes) {
      chunks.splice(k, 1, ...splitChunk(chunk, this.#itemBudget));
      return false;
    }
    try {
      await send(chunk);
      return true;
    } catch (err) {
      if (!isTooLarge(err) || chunk.indexes.length < 2) throw err;
      const budget = this.caps.shrinkAfter413(chunk.bytes + ENVELOPE_BYTES);
      if (budget === undefined) throw err;
      chunks.splice(k, 1, ...splitChunk(chunk, budget - ENVELOPE_BYTES));
      return false;
    }
  }

  /** `POST /records` in chunks sent one after the other (ids stay in request order; never retried). */
  async add(tableId: string, records: { fields?: Fields }[], options: WriteOptions = {}): Promise<number[]> {
    const path = `/tables/${seg(tableId)}/records`;
    const query = { noparse: options.noparse ? 'true' : undefined };
    const written: number[] = [];
    await this.#sequential(padMissingFields(records), 'added', written, async (chunk) => {
      const answer = await this.client.json({ method: 'POST', path, query, raw: envelope('records', chunk) });
      const ids = idsAt(answer, 'records', 'number', `POST ${path}`);
      if (ids.length !== chunk.indexes.length) throw malformed(`POST ${path}`, `${chunk.indexes.length} ids`);
      for (const id of ids) written.push(id);
    });
    return written;
  }

  /**
   * Sends `items` in chunks one after the other, each chunk serialized while the previous one is with
   * Grist (so the gateway's serialization overlaps Grist's work instead of adding to it). A failure is
   * thrown with what was written (`written`) and which request entries were not.
   */
  async #sequential<T>(items: readonly T[], verb: string, written: number[], send: (chunk: Chunk) => Promise<void>): Promise<void> {
    const stream = new ChunkStream(items, undefined, this.chunkSize, this.#itemBudget, firstChunkBudget(items, this.#itemBudget, this.chunkSize));
    const chunks: Chunk[] = [stream.next() ?? { indexes: [], bytes: 0, text: '' }]; // an empty list: let Grist refuse it
    for (let k = 0; k < chunks.length; ) {
      // Settled into a value at once: a failure while the next chunk is being built is not "unhandled".
      const outcome = this.#sendOrSplit(chunks, k, send).then(
        (sent) => ({ sent }),
        (error: unknown) => ({ error }),
      );
      if (k === chunks.length - 1 && !stream.done) {
        await new Promise<void>((resolve) => setImmediate(resolve)); // let the request go out first
        const next = stream.next();
        if (next) chunks.push(next);
      }
      const result = await outcome;
      if ('error' in result) {
        // The report names every request entry not written: build the chunks not built yet.
        for (let next = stream.next(); next; next = stream.next()) chunks.push(next);
        throw partialFailure(result.error, k, chunks, [...new Set(written)], verb);
      }
      if (result.sent) k += 1;
    }
  }

  /**
   * `PATCH /records`, grouped by field-name set (Grist needs one set per request), chunked, at most
   * `maxInFlight` chunks at once. When one id appears twice the chunks run in order (the later entry must
   * win, as in Grist). Chunks are serialized as they are needed, the first one small when the update
   * surely needs several requests (as for adds): the first request leaves sooner and the others are
   * serialized while Grist works.
   */
  async update(tableId: string, records: { id: number; fields: Fields }[], options: WriteOptions = {}): Promise<void> {
    const path = `/tables/${seg(tableId)}/records`;
    const query = { noparse: options.noparse ? 'true' : undefined };
    const parallel = idsUnique(records) ? this.maxInFlight : 1;
    const sendOne = async (chunk: Chunk): Promise<void> => {
      await this.client.json({ method: 'PATCH', path, query, raw: envelope('records', chunk) });
    };
    await runChunks(
      this.#updateChunks(records),
      parallel,
      // A 413 splits the chunk and sends its halves in order (one worker), then carries on.
      async (chunk, done) => {
        const pieces = [chunk];
        for (let k = 0; k < pieces.length; ) {
          if (await this.#sendOrSplit(pieces, k, sendOne)) {
            done((pieces[k] as Chunk).indexes);
            k += 1;
          }
        }
      },
      (doneIndexes) => ({ writtenIds: doneIndexes.map((i) => records[i]?.id ?? -1).sort((a, b) => a - b), verb: 'updated' }),
    );
  }

  /** The chunks of an update, one per call as they are needed (an empty list: one empty chunk). */
  #updateChunks(records: { id: number; fields: Fields }[]): () => Chunk | undefined {
    let streams: ChunkStream<{ id: number; fields: Fields }>[];
    if (sameKeysInOrder(records)) {
      streams = [new ChunkStream(records, undefined, this.chunkSize, this.#itemBudget, firstChunkBudget(records, this.#itemBudget, this.chunkSize))];
    } else {
      const groups = groupByKeySet(records, (r) => (isObject(r.fields) ? Object.keys(r.fields) : []));
      streams = groups.map((group) => new ChunkStream(records, group, this.chunkSize, this.#itemBudget));
    }
    let current = 0;
    let given = 0;
    return () => {
      for (; current < streams.length; current++) {
        const chunk = (streams[current] as ChunkStream<{ id: number; fields: Fields }>).next();
        if (chunk) return (given += 1), chunk;
      }
      return given++ === 0 ? { indexes: [], bytes: 0, text: '' } : undefined; // an empty list: let Grist refuse it
    };
  }

  /** `PUT /records` in chunks, one after the other (later entries may depend on rows added by earlier ones). */
  async upsert(tableId: string, records: UpsertRecord[], options: UpsertOptions = {}): Promise<UpsertResult> {
    const path = `/tables/${seg(tableId)}/records`;
    const query = {
      noparse: options.noparse ? 'true' : undefined,
      onmany: options.onmany,
      noadd: options.noadd ? 'true' : undefined,
      noupdate: options.noupdate ? 'true' : undefined,
      allow_empty_require: options.allowEmptyRequire ? 'true' : undefined,
    };
    const result: UpsertResult = { recordIds: [], addRecordIds: [], updateRecordIds: [] };
    const written: number[] = [];
    await this.#sequential(records, 'upserted', written, async (chunk) => {
      const answer = await this.client.json({ method: 'PUT', path, query, raw: envelope('records', chunk) });
      const part = upsertAnswer(answer, path);
      result.recordIds.push(...part.recordIds);
      result.addRecordIds.push(...part.addRecordIds);
      result.updateRecordIds.push(...part.updateRecordIds);
      for (const id of part.recordIds.flat()) written.push(id);
    });
    return result;
  }

  /**
   * `POST /records/delete` in chunks of 10,000 ids (deleting is idempotent: missing ids are ignored), or
   * `POST /apply` with `BulkRemoveRecord` where the server has no `/records/delete` (before Grist 1.7.5).
   */
  async delete(tableId: string, ids: number[]): Promise<void> {
    const chunks: Chunk[] = [];
    for (let i = 0; i < ids.length || (i === 0 && ids.length === 0); i += IDS_PER_DELETE) {
      const part = ids.slice(i, i + IDS_PER_DELETE);
      chunks.push({ indexes: part.map((_, j) => i + j), bytes: 0, text: part.map((id) => JSON.stringify(id)).join(',') });
    }
    for (const [k, chunk] of chunks.entries()) {
      try {
        await this.#deleteChunk(tableId, chunk);
      } catch (err) {
        const deleted = chunks.slice(0, k).flatMap((c) => c.indexes.map((i) => ids[i] ?? -1));
        throw partialFailure(err, k, chunks, deleted, 'deleted');
      }
    }
  }

  async #deleteChunk(tableId: string, chunk: Chunk): Promise<void> {
    const list = `[${chunk.text}]`;
    if (this.caps.has('recordsDelete')) {
      try {
        await this.client.json({ method: 'POST', path: `/tables/${seg(tableId)}/records/delete`, jsonText: list, idempotent: true });
        return;
      } catch (err) {
        if (!isMissingRoute(err)) throw err;
        this.caps.lacks('recordsDelete', (err as GristError).message);
      }
    }
    try {
      await this.client.json({ method: 'POST', path: '/apply', jsonText: `[["BulkRemoveRecord",${JSON.stringify(tableId)},${list}]]`, idempotent: true });
    } catch (err) {
      // /apply reports an unknown table as a 500 KeyError from the data engine; say it as /records does.
      if (err instanceof GristError && err.status >= 400 && err.message.includes(`KeyError '${tableId}'`)) {
        throw new GristError(404, `Table not found "${tableId}"`, { userError: err.message }, { kind: 'table', table: tableId });
      }
      throw err;
    }
  }
}

/**
 * The byte budget of the first chunk of a write that surely needs several requests: only what does not
 * fit the others (estimated from a sample), so that the first request leaves after serializing that much
 * rather than a whole budget's worth, and the rest is serialized while Grist works. The number of requests
 * stays the least possible (one more at worst when the estimate is low). A write that may fit one request
 * keeps its one (atomic) request: undefined, unless a lower bound of its size proves it cannot.
 */
function firstChunkBudget(items: readonly unknown[], budget: number, maxRows: number): number | undefined {
  if (items.length < SAMPLE_ITEMS * 4 || items.length > maxRows) return undefined;
  let sampled = 0;
  const step = items.length / SAMPLE_ITEMS;
  for (let k = 0; k < SAMPLE_ITEMS; k++) sampled += JSON.stringify(items[Math.floor(k * step)]).length + 1;
  const estimate = (sampled / SAMPLE_ITEMS) * items.length;
  const requests = Math.ceil(estimate / budget);
  // Nothing to gain when the estimate says one request, or when the rest would barely fit the others.
  if (requests < 2) return undefined;
  // With a margin for the sample's error, so that the rest still fits `requests - 1` full chunks.
  const first = Math.ceil(estimate - (requests - 1) * budget + Math.max(budget / 8, estimate / 10));
  if (first > budget * 0.75 || !jsonSurelyLongerThan(items, budget)) return undefined;
  return Math.max(first, Math.floor(budget / 16));
}

/**
 * The request body `{"records":[...]}` of a chunk, as UTF-8 bytes written straight from the chunk's text:
 * a string envelope would be copied once to flatten it and again to encode it (a megabyte each).
 */
function envelope(key: string, chunk: Chunk): { body: Uint8Array; contentType: string } {
  const head = `{"${key}":[`;
  const text = chunk.text;
  // `bytes` is exact for chunks built here (text and one comma); measure if a chunk ever lacks it.
  const textBytes = chunk.bytes > 0 ? chunk.bytes - 1 : Buffer.byteLength(text, 'utf8');
  // Room for 4 bytes more than expected: a text longer than `textBytes` then surely writes more than that.
  const body = Buffer.allocUnsafe(head.length + Math.max(0, textBytes) + 6);
  const at = body.write(head, 0, 'latin1');
  if (body.write(text, at, 'utf8') !== textBytes) return { body: Buffer.from(`${head}${text}]}`, 'utf8'), contentType: 'application/json' };
  body.write(']}', at + textBytes, 'latin1');
  return { body: body.subarray(0, at + textBytes + 2), contentType: 'application/json' };
}

/**
 * Grist sends every field named in any record of a request for all of them, `null` where a record lacks it.
 * Once a write is split that must be done here, or a chunk without the field would get the column default;
 * doing it always (only records lacking a field change) keeps the chunk sizes computed here exact.
 */
function padMissingFields(records: { fields?: Fields }[]): { fields?: Fields }[] {
  if (sameKeysInOrder(records)) return records;
  // Some record names other fields, or the same ones in another order: compare them as sets.
  const all = new Set<string>();
  let uniform = true;
  for (const r of records) {
    if (!isObject(r.fields)) {
      uniform = false;
      continue;
    }
    let count = 0;
    for (const key in r.fields) {
      count += 1;
      if (!all.has(key)) {
        if (all.size > 0) uniform = false;
        all.add(key);
      }
    }
    if (count !== all.size) uniform = false;
  }
  if (uniform || all.size === 0) return records;
  return records.map((r) => {
    const fields = isObject(r.fields) ? r.fields : {};
    if (Object.keys(fields).length === all.size) return r;
    const padded: Fields = {};
    for (const key of all) padded[key] = key in fields ? (fields[key] ?? null) : null;
    return { ...r, fields: padded };
  });
}

function upsertAnswer(answer: unknown, path: string): UpsertResult {
  if (
    isObject(answer) &&
    Array.isArray(answer['recordIds']) &&
    Array.isArray(answer['addRecordIds']) &&
    Array.isArray(answer['updateRecordIds'])
  ) {
    return answer as unknown as UpsertResult;
  }
  throw malformed(`PUT ${path}`, 'recordIds, addRecordIds, updateRecordIds');
}

/**
 * The error for chunk `k` failing: Grist's error unchanged when nothing was written and the write was one
 * request; otherwise Grist's status/details with a message saying what was and was not written.
 */
function partialFailure(err: unknown, k: number, chunks: Chunk[], writtenIds: number[], verb: string): unknown {
  if (!(err instanceof GristError)) return err;
  const notWritten = chunks.slice(k).flatMap((c) => c.indexes);
  return withProgress(err, chunks.length, [k], writtenIds, notWritten, verb);
}

function withProgress(err: GristError, total: number, failed: number[], writtenIds: number[], notWritten: number[], verb: string): GristError {
  const extra = { ...err.extra, writtenIds, notWritten };
  if (total === 1) return new GristError(err.status, err.message, err.details, extra);
  const first = notWritten[0] ?? 0;
  const requests = failed.length === 1 ? 'request' : 'requests';
  const message =
    `${err.message} (${requests} ${failed.map((k) => k + 1).join(', ')} of ${total} failed: ${writtenIds.length} records were ${verb}, ` +
    `their ids are in writtenIds; ${notWritten.length} records were not, from index ${first}, listed in notWritten)`;
  return new GristError(err.status, message, err.details, extra);
}

/**
 * Runs chunks with at most `parallel` at once, taking each from `nextChunk` only when a request slot is
 * free (after letting the requests already started go out, so Grist works while the next one is
 * serialized); after a failure no new chunk starts, the running ones finish, and the first error is
 * thrown with the progress made (`send` reports the request indexes it wrote).
 */
async function runChunks(
  nextChunk: () => Chunk | undefined,
  parallel: number,
  send: (chunk: Chunk, done: (indexes: number[]) => void) => Promise<void>,
  progress: (doneIndexes: number[]) => { writtenIds: number[]; verb: string },
): Promise<void> {
  const chunks: Chunk[] = [];
  const doneIndexes: number[] = [];
  const failed: { index: number; error: unknown }[] = [];
  let exhausted = false;
  const take = (): number | undefined => {
    const chunk = exhausted ? undefined : nextChunk();
    if (!chunk) {
      exhausted = true;
      return undefined;
    }
    return chunks.push(chunk) - 1;
  };
  const worker = async (): Promise<void> => {
    while (failed.length === 0 && !exhausted) {
      if (chunks.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (failed.length > 0) return;
      const index = take();
      if (index === undefined) return;
      try {
        await send(chunks[index] as Chunk, (indexes) => doneIndexes.push(...indexes));
      } catch (error) {
        failed.push({ index, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  const first = failed.sort((a, b) => a.index - b.index)[0];
  if (!first) return;
  if (!(first.error instanceof GristError)) throw first.error;
  // The report names every request entry not written: build the chunks not built yet.
  while (take() !== undefined);
  const done = new Set(doneIndexes);
  const notWritten = chunks.flatMap((c) => c.indexes).filter((i) => !done.has(i)).sort((a, b) => a - b);
  const { writtenIds, verb } = progress(doneIndexes);
  throw withProgress(first.error, chunks.length, failed.map((f) => f.index), writtenIds, notWritten, verb);
}

/** Whether no id appears twice (ascending ids, the usual case, are checked without a set). */
function idsUnique(records: readonly { id: number }[]): boolean {
  let ascending = true;
  for (let i = 1; i < records.length && ascending; i++) ascending = (records[i] as { id: number }).id > (records[i - 1] as { id: number }).id;
  return ascending || new Set(records.map((r) => r.id)).size === records.length;
}
