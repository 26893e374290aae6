/** Grist slow (timeout) or down (connection refused, connection reset): clear 504/503 errors, safe retries. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GristHttpBackend } from '../../src/backends/http/index.js';
import { TEST_API_KEY } from '../conformance/rest-api.js';
import { refusedUrl } from './fault-proxy.js';
import { failure, startFaultRig, type FaultRig } from './setup.js';

describe('HTTP backend: Grist slow or down', () => {
  let rig: FaultRig;
  let table: string;

  beforeAll(async () => {
    rig = await startFaultRig();
    [table = ''] = await rig.direct.createTables([{ id: 'Items', columns: [{ id: 'Name', fields: { type: 'Text' } }] }]);
    await rig.direct.addRecords(table, [{ fields: { Name: 'a' } }, { fields: { Name: 'b' } }]);
  });
  afterAll(async () => {
    await rig.close();
  });

  it('times out a slow answer with 504 naming the server and the request', async () => {
    rig.proxy.setRule(() => ({ kind: 'delay', ms: 2000 }));
    const backend = rig.through({ timeoutMs: 150 });
    const err = await failure(backend.getRecords(table));
    expect(err.status).toBe(504);
    expect(err.extra?.kind).toBe('timeout');
    expect(err.message).toBe(`Grist server ${rig.proxy.url} did not answer GET /tables/${table}/records within 150 ms`);
    // A timeout is not retried: the request may still be running on Grist.
    expect(rig.seen(`/tables/${table}/records`, 'GET')).toHaveLength(1);
    rig.proxy.setRule(undefined);
    // The backend is still usable once the server answers again.
    expect(await backend.getRecords(table)).toHaveLength(2);
  });

  it('reports a server that refuses connections as 503 unavailable, after retrying a read', async () => {
    const url = await refusedUrl();
    const backend = new GristHttpBackend({ url, docId: 'doc', apiKey: TEST_API_KEY, retries: 2, retryBaseDelayMs: 1 });
    try {
      const err = await failure(backend.listTables());
      expect(err.status).toBe(503);
      expect(err.extra?.kind).toBe('unavailable');
      expect(err.message).toBe(`Grist server ${url} is unreachable (ECONNREFUSED) for GET /tables after 3 attempts`);
      const write = await failure(backend.addRecords('T', [{ fields: {} }]));
      // A refused connection means nothing was sent, so the message does not hedge; and a POST is not retried.
      expect(write.message).toBe(`Grist server ${url} is unreachable (ECONNREFUSED) for POST /tables/T/records`);
    } finally {
      await backend.close();
    }
  });

  it('retries a read after connection resets, but never an add', async () => {
    let resets = 2;
    rig.proxy.setRule(() => (resets-- > 0 ? { kind: 'reset' } : { kind: 'pass' }));
    const backend = rig.through();
    const before = rig.proxy.requests.length;
    expect(await backend.getRecords(table)).toHaveLength(2);
    expect(rig.proxy.requests.length - before).toBe(3);

    rig.proxy.setRule(() => ({ kind: 'reset' }));
    const start = rig.proxy.requests.length;
    const err = await failure(backend.addRecords(table, [{ fields: { Name: 'c' } }]));
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/^Grist server http:\/\/127\.0\.0\.1:\d+ is unreachable \(\w+\) for POST \/tables\/Items\/records; the request may or may not have been applied$/);
    expect(rig.proxy.requests.length - start).toBe(1);
    rig.proxy.setRule(undefined);
    expect(await rig.direct.getRecords(table)).toHaveLength(2);
  });

  it('never duplicates rows when the answer to an add is lost after Grist applied it', async () => {
    rig.proxy.setRule((req) => (req.method === 'POST' && req.path.endsWith('/records') ? { kind: 'lose-answer' } : { kind: 'pass' }));
    const backend = rig.through();
    const start = rig.seen(`/tables/${table}/records`, 'POST').length;
    const err = await failure(backend.addRecords(table, [{ fields: { Name: 'lost answer' } }]));
    expect(err.status).toBe(503);
    expect(err.message).toContain('may or may not have been applied');
    expect(rig.seen(`/tables/${table}/records`, 'POST').length - start).toBe(1);
    rig.proxy.setRule(undefined);
    const rows = await rig.direct.getRecords(table, { filter: { Name: ['lost answer'] } });
    expect(rows).toHaveLength(1);
  });
});
