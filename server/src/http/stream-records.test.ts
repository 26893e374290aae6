import { describe, expect, it } from 'vitest';
import { streamAllRecords } from './stream-records.js';

/** A get_records over an in-memory list, paged by a cursor that is the next index (as the router pages by id). */
function pagedOver(records: readonly unknown[]) {
  return async (input: unknown) => {
    const { limit, cursor } = input as { limit: number; cursor?: string };
    const start = cursor === undefined ? 0 : Number(cursor);
    const end = Math.min(records.length, start + limit);
    return { records: records.slice(start, end), next_cursor: end < records.length ? String(end) : null };
  };
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

describe('streamAllRecords', () => {
  it('streams exactly the bytes of the whole answer, over slice edges and multi-byte text', async () => {
    const records = Array.from({ length: 2_345 }, (_, i) => ({ id: i + 1, fields: { Name: `é🙂 ${i} "q" \\ [x]`, N: i, Empty: null } }));
    const out = await streamAllRecords(pagedOver(records), { table: 'T' }, 1_000);
    expect('stream' in out).toBe(true);
    if (!('stream' in out)) return;
    const text = (await bytesOf(out.stream)).toString('utf8');
    expect(text).toBe(JSON.stringify({ success: true, data: { records, next_cursor: null } }));
  });

  it('a table that fits one slice is answered as data; an exact multiple of the slice ends cleanly', async () => {
    const small = [{ id: 1, fields: { A: 'x' } }];
    expect(await streamAllRecords(pagedOver(small), {}, 1_000)).toEqual({ data: { records: small, next_cursor: null } });
    const two = Array.from({ length: 4 }, (_, i) => ({ id: i + 1, fields: {} }));
    const out = await streamAllRecords(pagedOver(two), {}, 2);
    if (!('stream' in out)) throw new Error('expected a stream');
    expect(JSON.parse((await bytesOf(out.stream)).toString('utf8'))).toEqual({ success: true, data: { records: two, next_cursor: null } });
  });
});
