/**
 * The bulk helpers against a live gateway on loopback (real HTTP, real embedded document): chunking,
 * progress, concurrency, partial failure with the exact ids written, iteration across pages, upserts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from '../../server/test/helpers/gateway.js';
import {
  addRecordsInChunks,
  BulkWriteError,
  createGatewayClient,
  GatewayClientError,
  gatewayError,
  iterateRecords,
  updateRecordsInChunks,
  upsertRecords,
  type ChunkProgress,
  type GatewayClient,
} from '../src/index.js';

let gw: TestGateway;
let gg: GatewayClient;

/** Every row of a table, by id (read in one call, independently of the helpers under test). */
async function allRows(table: string): Promise<Map<number, Record<string, unknown>>> {
  const { records } = await gg.get_records.query({ table });
  return new Map(records.map((r) => [r.id, r]));
}

beforeAll(async () => {
  gw = await startTestGateway();
  gg = createGatewayClient({ url: gw.url, token: await gw.session(tokens.admin, ['read', 'write', 'schema']) });
  for (const table_id of ['Bulk', 'Partial', 'Upd', 'Ups']) {
    await gg.create_table.mutate({ table_id, columns: [{ id: 'Name', type: 'Text' }, { id: 'N', type: 'Int' }] });
  }
});
afterAll(async () => {
  await gw?.close();
});

describe('addRecordsInChunks', () => {
  it('adds every record in chunks, reports progress, returns ids in input order', async () => {
    const rows = Array.from({ length: 1234 }, (_, i) => ({ Name: `r${i}`, N: i }));
    const progress: ChunkProgress[] = [];
    const { record_ids } = await addRecordsInChunks(gg, 'Bulk', rows, { chunkSize: 100, concurrency: 3, onProgress: (p) => progress.push(p) });
    expect(record_ids).toHaveLength(1234);
    expect(new Set(record_ids).size).toBe(1234);
    // 13 chunks: 12 of 100 and one of 34; `done` grows to the total.
    expect(progress).toHaveLength(13);
    expect(progress.map((p) => p.chunk.start).sort((a, b) => a - b)).toEqual(Array.from({ length: 13 }, (_, i) => i * 100));
    expect(progress.find((p) => p.chunk.index === 12)?.chunk.size).toBe(34);
    expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ done: 1234, total: 1234 });
    // Ids are in input order: record_ids[i] holds row i.
    const table = await allRows('Bulk');
    expect(table.size).toBe(1234);
    record_ids.forEach((id, i) => expect(table.get(id)).toMatchObject({ Name: `r${i}`, N: i }));
  });

  it('on a failed chunk throws the exact ids written and the indexes not written', async () => {
    const rows: Record<string, string | number>[] = Array.from({ length: 450 }, (_, i) => ({ Name: `p${i}`, N: i }));
    rows[250] = { Name: 'bad', Nope: 1 }; // unknown column: chunk 2 (200..299) fails
    const err = await addRecordsInChunks(gg, 'Partial', rows, { chunkSize: 100, concurrency: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BulkWriteError);
    const bulk = err as BulkWriteError;
    expect(bulk.code).toBe(gatewayError(bulk.cause)?.code);
    expect(['INVALID_REQUEST', 'NOT_FOUND']).toContain(bulk.code);
    expect(bulk.message).toMatch(/add_records on table "Partial" stopped/);
    // What the error says was written is exactly what is in the table now.
    const table = await allRows('Partial');
    expect([...table.keys()].sort((a, b) => a - b)).toEqual([...bulk.writtenIds].sort((a, b) => a - b));
    bulk.writtenIds.forEach((id, k) => expect(table.get(id)).toMatchObject({ Name: `p${bulk.writtenIndexes[k]}` }));
    // Chunks 0 and 1 were written before the failure; chunk 2 was not; together the indexes cover all.
    expect(bulk.writtenIndexes.slice(0, 200)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(bulk.notWrittenIndexes).toContain(250);
    expect(bulk.notWrittenIndexes).toEqual(expect.arrayContaining(Array.from({ length: 100 }, (_, i) => 200 + i)));
    expect([...bulk.writtenIndexes, ...bulk.notWrittenIndexes].sort((a, b) => a - b)).toEqual(Array.from({ length: 450 }, (_, i) => i));
    // Retrying exactly the not-written records (fixed) completes the table without duplicates.
    rows[250] = { Name: 'p250', N: 250 };
    await addRecordsInChunks(gg, 'Partial', bulk.notWrittenIndexes.map((i) => rows[i]!));
    const after = await allRows('Partial');
    expect([...after.values()].map((r) => r.N).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 450 }, (_, i) => i));
  });

  it('refuses bad options with a message naming them', async () => {
    await expect(addRecordsInChunks(gg, 'Bulk', [{ N: 1 }], { chunkSize: 0 })).rejects.toThrow(/chunkSize must be a positive integer/);
    await expect(addRecordsInChunks(gg, 'Bulk', [{ N: 1 }], { concurrency: 1.5 })).rejects.toThrow(/concurrency must be a positive integer/);
  });
});

describe('updateRecordsInChunks', () => {
  it('updates in chunks and on failure names the ids updated', async () => {
    const { record_ids } = await addRecordsInChunks(gg, 'Upd', Array.from({ length: 30 }, (_, i) => ({ Name: `u${i}`, N: i })));
    const ok = await updateRecordsInChunks(gg, 'Upd', record_ids.map((id) => ({ id, fields: { N: 1000 } })), { chunkSize: 7 });
    expect(ok).toEqual({ updated: 30, ids: record_ids });

    const updates = record_ids.map((id) => ({ id, fields: { N: 2000 } }));
    updates[17] = { id: 999_999, fields: { N: 2000 } }; // unknown row id: chunk 1 (10..19) fails
    const progress: number[] = [];
    const err = await updateRecordsInChunks(gg, 'Upd', updates, { chunkSize: 10, concurrency: 1, onProgress: (p) => progress.push(p.done) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BulkWriteError);
    const bulk = err as BulkWriteError;
    // Grist's own answer (400 "Invalid row id 999999"), passed on as GRIST_ERROR.
    expect(['NOT_FOUND', 'GRIST_ERROR']).toContain(bulk.code);
    expect(bulk.message).toMatch(/999999/);
    // Sequential: chunk 0 written, chunk 1 failed, chunk 2 never started.
    expect(progress).toEqual([10]);
    expect(bulk.writtenIds).toEqual(record_ids.slice(0, 10));
    expect(bulk.notWrittenIndexes).toEqual(Array.from({ length: 20 }, (_, i) => 10 + i));
    const table = await allRows('Upd');
    record_ids.forEach((id, i) => expect(table.get(id)?.N).toBe(i < 10 ? 2000 : 1000));
  });
});

describe('upsertRecords', () => {
  it('upserts across chunks in order, merging the results', async () => {
    const entries = Array.from({ length: 25 }, (_, i) => ({ require: { Name: `k${i % 20}` }, fields: { N: i } }));
    const first = await upsertRecords(gg, 'Ups', entries, { chunkSize: 6 });
    // Entries 20..24 repeat keys k0..k4 (added by the first chunk): they update, not add.
    expect(first.added).toHaveLength(20);
    expect(first.record_ids).toHaveLength(25);
    expect(first.record_ids[20]).toEqual(first.record_ids[0]);
    expect(first.updated).toEqual(first.record_ids.slice(20, 25).flat());
    const table = await allRows('Ups');
    expect(table.size).toBe(20);
    expect(table.get(first.record_ids[0]![0]!)?.N).toBe(20);
    const again = await upsertRecords(gg, 'Ups', entries, { chunkSize: 10, add: false });
    expect(again.added).toEqual([]);
    expect((await allRows('Ups')).size).toBe(20);
  });
});

describe('iterateRecords', () => {
  it('iterates over a whole table across pages, with filter and sort', async () => {
    const seen: number[] = [];
    for await (const record of iterateRecords(gg, 'Bulk', { pageSize: 100 })) seen.push(record.N as number);
    expect(seen).toEqual(Array.from({ length: 1234 }, (_, i) => i));

    const filtered: string[] = [];
    for await (const r of iterateRecords(gg, 'Bulk', { filter: { N: [5, 500, 1000, 7] }, sort: '-N', pageSize: 3 })) filtered.push(r.Name as string);
    expect(filtered).toEqual(['r1000', 'r500', 'r7', 'r5']);
  });

  it('works with an agent token and an explicit document, and fails with a typed error', async () => {
    const agent = createGatewayClient({ url: gw.url, token: tokens.admin, batch: false });
    let count = 0;
    for await (const _ of iterateRecords(agent, 'Bulk', { document: 'main', pageSize: 500 })) count++;
    expect(count).toBe(1234);
    const err = await (async () => {
      for await (const _ of iterateRecords(agent, 'Nope', { document: 'main' })) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayClientError);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
  });
});
