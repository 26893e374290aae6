/** A Grist without `POST /records/list` (older versions): keyset reads fall back to `GET` in URL-sized batches. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultRig, type FaultRig } from './setup.js';

describe('HTTP backend: Grist without records/list', () => {
  let rig: FaultRig;
  let table: string;

  beforeAll(async () => {
    rig = await startFaultRig();
    [table = ''] = await rig.direct.createTables([{ id: 'Old', columns: [{ id: 'N', fields: { type: 'Int' } }] }]);
    await rig.direct.addRecords(table, Array.from({ length: 3000 }, (_, i) => ({ fields: { N: i } })));
    rig.proxy.setRule((req) =>
      req.path.endsWith('/records/list') ? { kind: 'answer', status: 404, body: { error: `not found: ${req.path}` } } : { kind: 'pass' },
    );
  });
  afterAll(async () => {
    await rig.close();
  });

  it('reads pages by afterId and iterates the whole table through GET', async () => {
    const backend = rig.through();
    const page = await backend.getRecords(table, { afterId: 100, limit: 2000 });
    expect(page.map((r) => r.id)).toEqual(Array.from({ length: 2000 }, (_, i) => 101 + i));
    const filtered = await backend.getRecords(table, { afterId: 250, limit: 2000, filter: { N: [200, 300, 2000, 2500] } });
    expect(filtered.map((r) => r.fields['N'])).toEqual([300, 2000]);
    const seen: number[] = [];
    for await (const batch of backend.iterateRecords(table)) for (const r of batch) seen.push(r.id);
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    // One probe of records/list, then only GETs, each with a URL a server accepts.
    expect(rig.seen('/records/list')).toHaveLength(1);
    const gets = rig.seen(`/tables/${table}/records`, 'GET');
    expect(gets.length).toBeGreaterThan(3);
    for (const g of gets) expect(g.url.length).toBeLessThan(16_000);
  });
});
