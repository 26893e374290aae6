/**
 * {@link iterateRecords}: every record of a table, page by page through get_records' cursor.
 */
import type { FlatRecord, GatewayClient, GatewayInputs, TableOptions } from './types.js';

/** Options of {@link iterateRecords}. */
export interface IterateOptions extends TableOptions, Pick<GatewayInputs['get_records'], 'filter' | 'sort'> {
  /** Records fetched per call (default 1000; the gateway may cap it). */
  pageSize?: number;
}

/**
 * Iterates over all records of `table` (optionally filtered and sorted), fetching `pageSize` records per
 * call and following `next_cursor` until it is null. Only one page is held in memory at a time.
 *
 * ```ts
 * for await (const record of iterateRecords(gg, 'Orders', { sort: 'Item' })) console.log(record.id);
 * ```
 */
export async function* iterateRecords(
  client: GatewayClient,
  table: string,
  options: IterateOptions = {},
): AsyncGenerator<FlatRecord, void, undefined> {
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${String(pageSize)}`);
  const base: GatewayInputs['get_records'] = {
    table,
    limit: pageSize,
    ...(options.document === undefined ? {} : { document: options.document }),
    ...(options.filter === undefined ? {} : { filter: options.filter }),
    ...(options.sort === undefined ? {} : { sort: options.sort }),
  };
  let cursor: string | undefined;
  do {
    const page = await client.get_records.query(cursor === undefined ? base : { ...base, cursor });
    yield* page.records;
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
}
