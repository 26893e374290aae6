/**
 * A Grist older than 1.7.14 (no `POST /records/list`) and 1.7.5 (no `POST /records/delete`): Grist answers
 * 404 `not found: /api/...` for a route it lacks. Reads fall back to `GET`, deletes to `POST /apply`
 * `BulkRemoveRecord`, each learned once per document; an unknown table is still a 404 for the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, startFaultRig, type FaultRig } from './setup.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('HTTP backend: Grist without records/list and records/delete', () => {
  let rig: FaultRig;
  let table: string;

  beforeAll(async () => {
    rig = await startFaultRig();
    [table = ''] = await rig.direct.createTables([{ id: 'Old', columns: [{ id: 'N', fields: { type: 'Int' } }] }]);
    await rig.direct.addRecords(table, range(0, 3000).map((i) => ({ fields: { N: i } })));
    rig.proxy.setRule((req) =>
      req.path.endsWith('/records/list') || req.path.endsWith('/records/delete')
        ? { kind: 'answer', status: 404, body: { error: `not found: ${req.path}` } }
        : { kind: 'pass' },
    );
  });
  afterAll(async () => {
    await rig.close();
  });

  it('reads big filters through GET after one probe of records/list', async () => {
    const backend = rig.through();
    const wanted = range(0, 1000).map((i) => i * 3);
    const records = await backend.getRecords(table, { filter: { N: wanted } });
    expect(records.map((r) => r.fields['N'])).toEqual(wanted);
    await backend.getRecords(table, { filter: { N: wanted } });
    expect(rig.seen('/records/list')).toHaveLength(1);
  });

  it('deletes through /apply BulkRemoveRecord, learned once, and reports an unknown table as 404', async () => {
    const backend = rig.through();
    const before = rig.seen('/records/delete').length;
    await backend.deleteRecords(table, [1, 2, 3, 99_999]);
    await backend.deleteRecords(table, [4]);
    expect(rig.seen('/records/delete').length - before).toBe(1);
    const applies = rig.seen('/apply', 'POST');
    expect(applies.at(-1)?.body).toBe('[["BulkRemoveRecord","Old",[4]]]');
    const ids = (await rig.direct.getRecords(table)).map((r) => r.id);
    expect(ids.slice(0, 2)).toEqual([5, 6]);
    expect(ids).toHaveLength(2996);

    const err = await failure(backend.deleteRecords('Nope', [1]));
    expect(err.status).toBe(404);
    expect(err.message).toBe('Table not found "Nope"');
  });
});
