/**
 * {@link iterateRecords}: every record of a table, page by page through get_records' cursor.
 */
import type { AnyGatewayClient, QueryOptionsOf, RecordOf, TableOf } from './schema.js';
import type { GatewayClient, GatewayInputs, TableOptions } from './types.js';

/** Options of {@link iterateRecords} without a schema. */
export interface IterateOptions extends TableOptions, Pick<GatewayInputs['get_records'], 'filter' | 'sort'> {
  /** Records fetched per call (default 1000; the gateway may cap it). */
  pageSize?: number;
}

/** Options of {@link iterateRecords} through client `C` on table `T` (filter and sort typed by its schema). */
export type IterateOptionsOf<C, T extends string> = Omit<IterateOptions, 'filter' | 'sort'> & QueryOptionsOf<C, T>;

/**
 * Iterates over all records of `table` (optionally filtered and sorted), fetching `pageSize` records per
 * call and following `next_cursor` until it is null. Only one page is held in memory at a time. With a
 * typed client, records, filter and sort are typed by its schema.
 *
 * ```ts
 * for await (const record of iterateRecords(gg, 'Orders', { sort: 'Item' })) console.log(record.id);
 * ```
 */
export async function* iterateRecords<C extends AnyGatewayClient, T extends TableOf<C>>(
  client: C,
  table: T,
  options: IterateOptionsOf<C, T> = {} as IterateOptionsOf<C, T>,
): AsyncGenerator<RecordOf<C, T>, void, undefined> {
  const gg = client as GatewayClient;
  const opts = options as IterateOptions;
  const pageSize = opts.pageSize ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${String(pageSize)}`);
  const base: GatewayInputs['get_records'] = {
    table,
    limit: pageSize,
    ...(opts.document === undefined ? {} : { document: opts.document }),
    ...(opts.filter === undefined ? {} : { filter: opts.filter }),
    ...(opts.sort === undefined ? {} : { sort: opts.sort }),
  };
  let cursor: string | undefined;
  do {
    const page = await gg.get_records.query(cursor === undefined ? base : { ...base, cursor });
    yield* page.records as RecordOf<C, T>[];
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
}
