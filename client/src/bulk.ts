/**
 * Bulk writes in chunks: {@link addRecordsInChunks}, {@link updateRecordsInChunks}, {@link upsertRecords}.
 * Each chunk is one gateway call (atomic on its own); a failure stops the run and throws a
 * {@link BulkWriteError} saying exactly which rows were written.
 */
import { accountOf, BulkWriteError, runChunks, type ChunkOptions } from './chunks.js';
import { gatewayError } from './errors.js';
import type { AnyGatewayClient, NewRecordOf, RecordUpdateOf, TableOf, UpsertEntryOf } from './schema.js';
import type { GatewayClient, GatewayInputs, GatewayOutputs, NewRecord, RecordUpdate, UpsertEntry } from './types.js';

/** `written_ids` the gateway reported for a call that failed partway (its own internal chunking). */
function serverWrittenIds(error: unknown): number[] {
  const ids = gatewayError(error)?.details?.written_ids;
  return Array.isArray(ids) ? ids.filter((id): id is number => typeof id === 'number') : [];
}

/** The `document` field, only when given (a session token is bound to its document). */
function documentOf(options: ChunkOptions): { document?: string } {
  return options.document === undefined ? {} : { document: options.document };
}

/**
 * Adds `records` to `table` in chunks of `chunkSize` (default 500), `concurrency` calls at a time
 * (default 2). Returns the new row ids in input order. With a typed client, `table` and the records'
 * columns and values are checked against its schema (formula columns are refused).
 *
 * @throws {BulkWriteError} when a chunk fails: `writtenIds` are the rows added (in input order),
 *   `notWrittenIndexes` the records to send again.
 */
export async function addRecordsInChunks<C extends AnyGatewayClient, T extends TableOf<C>>(
  client: C,
  table: T,
  typedRecords: readonly NewRecordOf<C, T>[],
  options: ChunkOptions = {},
): Promise<GatewayOutputs['add_records']> {
  const gg = client as GatewayClient;
  const records = typedRecords as readonly NewRecord[];
  const run = await runChunks(records, options, { chunkSize: 500, concurrency: 2 }, (chunk) =>
    gg.add_records.mutate({ ...documentOf(options), table, records: chunk }),
  );
  if (run.failures.length > 0) {
    const account = accountOf(run, records.length, (chunk, result, error) => {
      const start = run.starts[chunk]!;
      // A failed call may still have added its first rows (the server says which, in order).
      const ids = result ? result.record_ids : serverWrittenIds(error);
      return ids.map((id, i) => [start + i, [id]]);
    });
    throw new BulkWriteError('add_records', table, run.failures[0]!.error, account);
  }
  return { record_ids: run.results.flatMap((r) => r!.record_ids) };
}

/**
 * Updates records (`{id, fields}`) of `table` in chunks (default 500 per call, 2 calls at a time).
 * Returns how many records were updated and their ids in input order.
 *
 * @throws {BulkWriteError} when a chunk fails: `writtenIds` are the ids updated, `notWrittenIndexes`
 *   the updates to send again.
 */
export async function updateRecordsInChunks<C extends AnyGatewayClient, T extends TableOf<C>>(
  client: C,
  table: T,
  typedRecords: readonly RecordUpdateOf<C, T>[],
  options: ChunkOptions = {},
): Promise<{ updated: number; ids: number[] }> {
  const gg = client as GatewayClient;
  const records = typedRecords as readonly RecordUpdate[];
  const run = await runChunks(records, options, { chunkSize: 500, concurrency: 2 }, (chunk) =>
    gg.update_records.mutate({ ...documentOf(options), table, records: chunk }),
  );
  if (run.failures.length > 0) {
    const account = accountOf(run, records.length, (chunk, result, error) => {
      const start = run.starts[chunk]!;
      const size = run.sizes[chunk]!;
      const partial = result ? undefined : new Set(serverWrittenIds(error));
      const written: [number, number[]][] = [];
      for (let index = start; index < start + size; index++) {
        const id = records[index]!.id;
        if (!partial || partial.has(id)) written.push([index, [id]]);
      }
      return written;
    });
    throw new BulkWriteError('update_records', table, run.failures[0]!.error, account);
  }
  return { updated: run.results.reduce((sum, r) => sum + r!.updated, 0), ids: records.map((r) => r.id) };
}

/** Options of {@link upsertRecords}: chunking plus add_or_update_records' own switches. */
export interface UpsertOptions
  extends ChunkOptions,
    Pick<GatewayInputs['add_or_update_records'], 'on_many' | 'add' | 'update'> {}

/** The merged result of {@link upsertRecords} (same shape as add_or_update_records). */
export type UpsertResult = GatewayOutputs['add_or_update_records'];

/**
 * Upserts `records` (`{require, fields}`) into `table` with add_or_update_records, in chunks (default
 * 500 per call). Calls run one at a time by default (`concurrency` 1): a later entry may match a row an
 * earlier one adds, and in order the outcome is the same as one big call. Returns the per-entry row ids
 * and the added / updated ids of all chunks, in order.
 *
 * @throws {BulkWriteError} when a chunk fails: `writtenIds` are the rows matched or added by the chunks
 *   that succeeded, `notWrittenIndexes` the entries to send again.
 */
export async function upsertRecords<C extends AnyGatewayClient, T extends TableOf<C>>(
  client: C,
  table: T,
  typedRecords: readonly UpsertEntryOf<C, T>[],
  options: UpsertOptions = {},
): Promise<UpsertResult> {
  const gg = client as GatewayClient;
  const records = typedRecords as readonly UpsertEntry[];
  const switches = {
    ...(options.on_many === undefined ? {} : { on_many: options.on_many }),
    ...(options.add === undefined ? {} : { add: options.add }),
    ...(options.update === undefined ? {} : { update: options.update }),
  };
  const run = await runChunks(records, options, { chunkSize: 500, concurrency: 1 }, (chunk) =>
    gg.add_or_update_records.mutate({ ...documentOf(options), table, records: chunk, ...switches }),
  );
  if (run.failures.length > 0) {
    const account = accountOf(run, records.length, (chunk, result) => {
      const start = run.starts[chunk]!;
      return result ? result.record_ids.map((ids, i) => [start + i, ids]) : [];
    });
    throw new BulkWriteError('add_or_update_records', table, run.failures[0]!.error, account);
  }
  const merged: UpsertResult = { record_ids: [], added: [], updated: [] };
  const updated = new Set<number>();
  for (const result of run.results) {
    merged.record_ids.push(...result!.record_ids);
    merged.added.push(...result!.added);
    // A row updated by two chunks is listed once, as one call would.
    for (const id of result!.updated) {
      if (!updated.has(id)) {
        updated.add(id);
        merged.updated.push(id);
      }
    }
  }
  return merged;
}
