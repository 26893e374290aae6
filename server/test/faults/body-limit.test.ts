/**
 * A Grist (or a proxy in front of it) with a smaller JSON body limit than the gateway's budget: it answers
 * 413 before applying anything, so the backend splits that request and sends it again, remembers the lower
 * budget for the document, and writes every row exactly once, in order. A single record over the limit is
 * a PAYLOAD_TOO_LARGE failure with the exact partial-failure report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fields } from '../../src/backend/types.js';
import { fromGristError } from '../../src/errors.js';
import { failure, startFaultRig, type FaultRig } from './setup.js';

const LIMIT = 100_000;
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('HTTP backend: a server with a 100 KB body limit', () => {
  let rig: FaultRig;
  let n = 0;
  const newTable = async (): Promise<string> => {
    n += 1;
    const [id] = await rig.direct.createTables([{ id: `Limited${n}`, columns: [{ id: 'N', fields: { type: 'Int' } }, { id: 'Tag', fields: { type: 'Text' } }] }]);
    return id ?? '';
  };
  const rows = (count: number, tag: string): { fields: Fields }[] => range(0, count).map((i) => ({ fields: { N: i, Tag: `${tag}${i}`.padEnd(120, '.') } }));
  const bodies = (table: string, method: string) => rig.seen(`/tables/${table}/records`, method).map((r) => ({ size: Buffer.byteLength(r.body), outcome: r.outcome }));

  beforeAll(async () => {
    rig = await startFaultRig();
    rig.proxy.setRule((req) =>
      Buffer.byteLength(req.body) > LIMIT ? { kind: 'answer', status: 413, body: { error: 'request entity too large' } } : { kind: 'pass' },
    );
  });
  afterAll(async () => {
    await rig.close();
  });

  it('splits refused adds, lowers the budget once, and writes every row once in order', async () => {
    const table = await newTable();
    const backend = rig.through();
    const ids = await backend.addRecords(table, rows(3000, 'a'));
    expect(ids).toEqual(range(1, 3001));
    expect((await rig.direct.getRecords(table)).map((r) => r.fields['N'])).toEqual(range(0, 3000));
    const sent = bodies(table, 'POST');
    const refused = sent.filter((b) => b.outcome === 'answer');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(4); // 1 MiB -> 512 KiB -> ... until under 100 KB, once
    for (const b of sent.filter((x) => x.outcome === 'pass')) expect(b.size).toBeLessThanOrEqual(LIMIT);
    expect(backend.capabilities.maxRequestBytes).toBeLessThanOrEqual(LIMIT);

    // The document remembers: the next write is not refused at all.
    const before = rig.seen(`/tables/${table}/records`, 'POST').length;
    await backend.addRecords(table, rows(1000, 'b'));
    expect(rig.seen(`/tables/${table}/records`, 'POST').slice(before).every((r) => r.outcome === 'pass')).toBe(true);
  });

  it('does the same for updates and upserts', async () => {
    const table = await newTable();
    await rig.direct.addRecords(table, rows(2000, 'old'));
    const backend = rig.through();
    await backend.updateRecords(table, range(1, 2001).map((id) => ({ id, fields: { Tag: `new${id}`.padEnd(120, '!') } })));
    const after = await rig.direct.getRecords(table);
    expect(after.every((r) => r.fields['Tag'] === `new${r.id}`.padEnd(120, '!'))).toBe(true);

    const upserts = range(1500, 2500).map((i) => ({ require: { N: i }, fields: { Tag: `up${i}`.padEnd(150, '~') } }));
    const result = await rig.through().upsertRecords(table, upserts);
    expect(result.recordIds.flat()).toEqual([...range(1501, 2001), ...range(2001, 2501)]);
    const all = await rig.direct.getRecords(table);
    expect(all).toHaveLength(2500);
    expect(all.filter((r) => String(r.fields['Tag']).startsWith('up'))).toHaveLength(1000);
  });

  it('reports a record larger than the limit as PAYLOAD_TOO_LARGE with exactly what was written', async () => {
    const table = await newTable();
    const input = rows(1500, 'c');
    input[1200] = { fields: { N: 1200, Tag: 'x'.repeat(LIMIT + 10) } };
    const err = await failure(rig.through().addRecords(table, input));
    expect(err.status).toBe(413);
    const written = err.extra?.writtenIds ?? [];
    const notWritten = err.extra?.notWritten ?? [];
    expect(written.length + notWritten.length).toBe(1500);
    expect(notWritten).toContain(1200);
    expect(notWritten).toEqual(range(written.length, 1500));
    expect((await rig.direct.getRecords(table)).map((r) => r.id)).toEqual(written);
    expect(fromGristError(err)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
  });
});
