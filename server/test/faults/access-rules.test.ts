/**
 * A document with access rules: Grist refuses `POST /sql` with 403 "insufficient document access" to any
 * user who cannot copy the whole document. Reads then go through `GET /records` with the same results,
 * the refusal is remembered per document (one probe), and re-checked after the configured time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GristRecord } from '../../src/backend/types.js';
import { startFaultRig, type FaultRig } from './setup.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('HTTP backend: /sql refused by access rules', () => {
  let rig: FaultRig;
  let table: string;
  let refuse = true;

  beforeAll(async () => {
    rig = await startFaultRig();
    [table = ''] = await rig.direct.createTables([
      { id: 'Hidden', columns: [{ id: 'N', fields: { type: 'Int' } }, { id: 'Tag', fields: { type: 'Text' } }, { id: 'Ok', fields: { type: 'Bool' } }] },
    ]);
    await rig.direct.addRecords(table, range(0, 2500).map((i) => ({ fields: { N: i, Tag: ['b', 'a', 'C'][i % 3] ?? '', Ok: i % 2 === 0 } })));
    await rig.direct.deleteRecords(table, [10, 11, 12, 500]); // gaps in the ids
    rig.proxy.setRule((req) =>
      refuse && req.path.endsWith('/sql') ? { kind: 'answer', status: 403, body: { error: 'insufficient document access' } } : { kind: 'pass' },
    );
  });
  afterAll(async () => {
    await rig.close();
  });

  /** Pages through afterId pages of `size` and returns every row. */
  const pageAll = async (read: (after: number) => Promise<GristRecord[]>): Promise<GristRecord[]> => {
    const out: GristRecord[] = [];
    for (let after = 0; ; ) {
      const page = await read(after);
      if (page.length === 0) return out;
      out.push(...page);
      after = page.at(-1)?.id ?? after;
    }
  };

  it('pages by id (with and without a filter) exactly as with /sql, probing /sql once', async () => {
    const backend = rig.through({ sqlRecheckMs: 60_000 });
    const sqlBefore = rig.seen('/sql').length;
    const all = await pageAll((after) => backend.getRecords(table, { afterId: after, limit: 300 }));
    const reference = await pageAll((after) => rig.direct.getRecords(table, { afterId: after, limit: 300 }));
    expect(all).toEqual(reference);
    expect(all.map((r) => r.id)).toEqual((await rig.direct.getRecords(table)).map((r) => r.id));

    const filter = { Tag: ['a'], Ok: [true] };
    const filtered = await pageAll((after) => backend.getRecords(table, { afterId: after, limit: 100, filter }));
    expect(filtered).toEqual(await rig.direct.getRecords(table, { filter }));
    // Refused once, then remembered for this document.
    expect(rig.seen('/sql').length - sqlBefore).toBe(1);
    expect(backend.capabilities.has('sql')).toBe(false);
  });

  it('has no sorted page through /sql; iterates the whole table once', async () => {
    const backend = rig.through();
    expect(await backend.sortedPage(table, { sort: '-N', limit: 10 })).toBeUndefined();
    const seen: number[] = [];
    for await (const batch of backend.iterateRecords(table)) for (const r of batch) seen.push(r.id);
    expect(seen).toEqual((await rig.direct.getRecords(table)).map((r) => r.id));
  });

  it('tries /sql again after the re-check time and uses it once allowed', async () => {
    const backend = rig.through({ sqlRecheckMs: 400 });
    await backend.getRecords(table, { afterId: 0, limit: 5 });
    expect(backend.capabilities.has('sql')).toBe(false);
    refuse = false;
    await new Promise((resolve) => setTimeout(resolve, 450));
    const before = rig.seen('/sql').length;
    const page = await backend.getRecords(table, { afterId: 0, limit: 5 });
    expect(page.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(rig.seen('/sql').length - before).toBe(1);
    expect(backend.capabilities.has('sql')).toBe(true);
    refuse = true;
  });
});
