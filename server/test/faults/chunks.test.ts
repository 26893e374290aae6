/**
 * Chunked writes that fail partway: the error keeps Grist's status and text and says exactly which rows
 * were written, so a script can resume without duplicates; and no more than `maxInFlight` requests run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fields } from '../../src/backend/types.js';
import { failure, startFaultRig, type FaultRig } from './setup.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('HTTP backend: chunked writes failing partway', () => {
  let rig: FaultRig;
  let n = 0;
  const newTable = async (): Promise<string> => {
    n += 1;
    const [id] = await rig.direct.createTables([{ id: `Rows${n}`, columns: [{ id: 'N', fields: { type: 'Int' } }, { id: 'Tag', fields: { type: 'Text' } }] }]);
    return id ?? '';
  };
  const rows = (count: number, tag = ''): { fields: Fields }[] => range(0, count).map((i) => ({ fields: { N: i, Tag: tag } }));

  beforeAll(async () => {
    rig = await startFaultRig();
  });
  afterAll(async () => {
    await rig.close();
  });

  it('reports writtenIds/notWritten when the 2nd add chunk fails, does not retry it, and resumes cleanly', async () => {
    const table = await newTable();
    let posts = 0;
    rig.proxy.setRule((req) =>
      req.method === 'POST' && req.path.endsWith(`/tables/${table}/records`) && ++posts === 2
        ? { kind: 'answer', status: 429, body: { error: 'Too many backlogged requests for document' } }
        : { kind: 'pass' },
    );
    const backend = rig.through({ chunkSize: 500 });
    const input = rows(1200);
    const err = await failure(backend.addRecords(table, input));
    rig.proxy.setRule(undefined);

    expect(err.status).toBe(429);
    expect(err.message).toBe(
      'Too many backlogged requests for document (request 2 of 3 failed: 500 records were added, ' +
        'their ids are in writtenIds; 700 records were not, from index 500, listed in notWritten)',
    );
    expect(err.extra?.writtenIds).toEqual(range(1, 501));
    expect(err.extra?.notWritten).toEqual(range(500, 1200));
    expect(posts).toBe(2); // the failed chunk was not retried and the third was never sent

    const after = await rig.direct.getRecords(table);
    expect(after.map((r) => r.id)).toEqual(range(1, 501));
    expect(after.map((r) => r.fields['N'])).toEqual(range(0, 500));

    // Resume with exactly the rows not written: every row once, none lost.
    const resumed = await backend.addRecords(table, (err.extra?.notWritten ?? []).map((i) => input[i] ?? {}));
    expect(resumed).toEqual(range(501, 1201));
    const all = await rig.direct.getRecords(table);
    expect(all.map((r) => r.fields['N'])).toEqual(range(0, 1200));
  });

  it("keeps Grist's error unchanged when the first chunk fails (nothing written)", async () => {
    const table = await newTable();
    const input: { fields: Fields }[] = rows(1200);
    input[900] = { fields: { N: 900, Nope: 1 } };
    const err = await failure(rig.through({ chunkSize: 500 }).addRecords(table, input));
    // Grist sends every field of the request for every row, so the unknown column fails the first chunk.
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^Invalid column "Nope"/);
    expect(err.extra?.writtenIds).toEqual([]);
    expect(err.extra?.notWritten).toEqual(range(0, 1200));
    expect(await rig.direct.getRecords(table)).toEqual([]);
  });

  it('reports exactly which updates were applied when one PATCH chunk fails', async () => {
    const table = await newTable();
    await rig.direct.addRecords(table, rows(1200, 'old'));
    const updates = range(1, 1201).map((id) => ({ id, fields: { Tag: 'new' } as Fields }));
    updates[700] = { id: 99999, fields: { Tag: 'new' } };
    const err = await failure(rig.through({ chunkSize: 500, maxInFlight: 4 }).updateRecords(table, updates));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^Invalid row id 99999 \(request 2 of 3 failed: /);
    // Chunks 1 and 3 ran next to chunk 2 and were applied.
    const written = [...range(1, 501), ...range(1001, 1201)];
    expect(err.extra?.writtenIds).toEqual(written);
    expect(err.extra?.notWritten).toEqual(range(500, 1000));
    const tags = new Map((await rig.direct.getRecords(table)).map((r) => [r.id, r.fields['Tag']]));
    const writtenSet = new Set(written);
    for (let id = 1; id <= 1200; id++) expect([id, tags.get(id)]).toEqual([id, writtenSet.has(id) ? 'new' : 'old']);
  });

  it('groups a PATCH by field names and keeps at most maxInFlight requests open', async () => {
    const table = await newTable();
    await rig.direct.addRecords(table, rows(2000, 'old'));
    rig.proxy.setRule((req) => (req.method === 'PATCH' ? { kind: 'delay', ms: 20 } : { kind: 'pass' }));
    const before = rig.seen(`/tables/${table}/records`, 'PATCH').length;
    rig.proxy.resetPeak();
    const updates = range(1, 2001).map((id) => ({ id, fields: (id % 2 ? { Tag: `t${id}` } : { N: -id }) as Fields }));
    await rig.through({ chunkSize: 100, maxInFlight: 3 }).updateRecords(table, updates);
    rig.proxy.setRule(undefined);
    const patches = rig.seen(`/tables/${table}/records`, 'PATCH').slice(before);
    expect(patches).toHaveLength(20);
    for (const p of patches) {
      const body = JSON.parse(p.body) as { records: { fields: Fields }[] };
      const keySets = new Set(body.records.map((r) => Object.keys(r.fields).join(',')));
      expect(keySets.size).toBe(1);
    }
    expect(rig.proxy.peakInFlight).toBeLessThanOrEqual(3);
    expect(rig.proxy.peakInFlight).toBeGreaterThan(1);
    const all = await rig.direct.getRecords(table);
    expect(all.every((r) => (r.id % 2 ? r.fields['Tag'] === `t${r.id}` && r.fields['N'] === r.id - 1 : r.fields['N'] === -r.id && r.fields['Tag'] === 'old'))).toBe(true);
  });

  it('splits by size too, so a write with large values stays within the 1 MiB body limit', async () => {
    const table = await newTable();
    const big = 'x'.repeat(100_000);
    const before = rig.seen(`/tables/${table}/records`, 'POST').length;
    const ids = await rig.through({ chunkSize: 500 }).addRecords(table, range(0, 30).map((i) => ({ fields: { N: i, Tag: big } })));
    expect(ids).toEqual(range(1, 31));
    const posts = rig.seen(`/tables/${table}/records`, 'POST').slice(before);
    expect(posts.length).toBeGreaterThanOrEqual(3); // 3 MB in requests of at most 1 MiB
    for (const p of posts) expect(Buffer.byteLength(p.body)).toBeLessThanOrEqual(1024 * 1024);
    expect((await rig.direct.getRecords(table)).map((r) => r.fields['N'])).toEqual(range(0, 30));
  });

  it('counts non-ASCII text in bytes: every request stays within the limit, every row once in order', async () => {
    const table = await newTable();
    // 100,000 UTF-16 units but 200,000-300,000 UTF-8 bytes each: sized as characters these would overflow.
    const tags = ['é', '€', '😀'].map((c) => c.repeat(100_000 / c.length));
    const before = rig.seen(`/tables/${table}/records`, 'POST').length;
    const input = range(0, 24).map((i) => ({ fields: { N: i, Tag: i % 4 === 3 ? `a${i}` : (tags[i % 3] as string) } }));
    const ids = await rig.through({ chunkSize: 500 }).addRecords(table, input);
    expect(ids).toEqual(range(1, 25));
    const posts = rig.seen(`/tables/${table}/records`, 'POST').slice(before);
    for (const p of posts) expect(Buffer.byteLength(p.body)).toBeLessThanOrEqual(1024 * 1024);
    expect(posts.length).toBeGreaterThanOrEqual(5); // 4.2 MB of UTF-8
    const all = await rig.direct.getRecords(table);
    expect(all.map((r) => r.fields['N'])).toEqual(range(0, 24));
    expect(all.map((r) => r.fields['Tag'])).toEqual(input.map((r) => r.fields.Tag));
  });

  it('sends a large add and a large update in the fewest requests within the limit, the first one smaller (it leaves sooner)', async () => {
    const table = await newTable();
    // About 1.6 MB of JSON: two requests of at most 1 MiB.
    const input = range(0, 12_000).map((i) => ({ fields: { N: i, Tag: `row ${i} `.padEnd(100, '.') } }));
    const postsBefore = rig.seen(`/tables/${table}/records`, 'POST').length;
    expect(await rig.through().addRecords(table, input)).toEqual(range(1, 12_001));
    const posts = rig.seen(`/tables/${table}/records`, 'POST').slice(postsBefore);
    expect(posts).toHaveLength(2);
    const postSizes = posts.map((p) => Buffer.byteLength(p.body));
    expect(postSizes[0]).toBeLessThan(postSizes[1]!);
    expect(postSizes[1]).toBeLessThanOrEqual(1024 * 1024);

    const updates = range(1, 12_001).map((id) => ({ id, fields: { Tag: `new ${id} `.padEnd(100, '!') } }));
    const patchesBefore = rig.seen(`/tables/${table}/records`, 'PATCH').length;
    await rig.through().updateRecords(table, updates);
    const patches = rig.seen(`/tables/${table}/records`, 'PATCH').slice(patchesBefore);
    expect(patches).toHaveLength(2);
    const patchSizes = patches.map((p) => Buffer.byteLength(p.body));
    expect(patchSizes[0]).toBeLessThan(patchSizes[1]!);
    expect(Math.max(...patchSizes)).toBeLessThanOrEqual(1024 * 1024);
    // Every row updated once, with its own value.
    const ids = patches.flatMap((p) => (JSON.parse(p.body) as { records: { id: number }[] }).records.map((r) => r.id)).sort((a, b) => a - b);
    expect(ids).toEqual(range(1, 12_001));
    const all = await rig.direct.getRecords(table);
    expect(all.map((r) => r.fields['Tag'])).toEqual(updates.map((u) => u.fields.Tag));
    expect(all.map((r) => r.fields['N'])).toEqual(range(0, 12_000));
  });

  it('reports progress when an upsert chunk fails', async () => {
    const table = await newTable();
    let puts = 0;
    rig.proxy.setRule((req) =>
      req.method === 'PUT' && ++puts === 2 ? { kind: 'answer', status: 500, body: { error: '[Sandbox] MemoryError' } } : { kind: 'pass' },
    );
    const entries = range(0, 300).map((i) => ({ require: { N: i }, fields: { Tag: 'up' } }));
    const err = await failure(rig.through({ chunkSize: 200, retries: 0 }).upsertRecords(table, entries));
    rig.proxy.setRule(undefined);
    expect(err.status).toBe(500);
    expect(err.message).toMatch(/^\[Sandbox\] MemoryError \(request 2 of 2 failed: 200 records were upserted, /);
    expect(err.extra?.writtenIds).toEqual(range(1, 201));
    expect(err.extra?.notWritten).toEqual(range(200, 300));
    expect(await rig.direct.getRecords(table)).toHaveLength(200);
  });
});
