/** 429 storms and 503 "document in flux": idempotent requests are retried with backoff, adds never. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRetryPolicy, isIdempotent } from '../../src/backends/http/index.js';
import { retryDelayMs } from '../../src/backends/http/retry.js';
import { failure, startFaultRig, type FaultRig } from './setup.js';
import type { Fault } from './fault-proxy.js';

const TOO_MANY: Fault = { kind: 'answer', status: 429, body: { error: 'Too many backlogged requests for document' } };
const IN_FLUX: Fault = { kind: 'answer', status: 503, body: { error: 'Document in flux - try again' }, headers: { 'retry-after': '0' } };

describe('HTTP backend: 429 and 503', () => {
  let rig: FaultRig;
  let table: string;

  beforeAll(async () => {
    rig = await startFaultRig();
    [table = ''] = await rig.direct.createTables([{ id: 'Stock', columns: [{ id: 'Sku', fields: { type: 'Text' } }, { id: 'Qty', fields: { type: 'Int' } }] }]);
    await rig.direct.addRecords(table, [{ fields: { Sku: 'a', Qty: 1 } }, { fields: { Sku: 'b', Qty: 2 } }]);
  });
  afterAll(async () => {
    await rig.close();
  });

  /** Answers the first `n` requests matching `match` with `fault`, then passes. */
  const storm = (n: number, fault: Fault, match: (method: string, path: string) => boolean = () => true): void => {
    let left = n;
    rig.proxy.setRule((req) => (match(req.method, req.path) && left-- > 0 ? fault : { kind: 'pass' }));
  };

  it('rides out a 429 storm on reads, PATCH, PUT and SQL', async () => {
    const backend = rig.through({ retries: 3 });
    storm(3, TOO_MANY);
    let start = rig.proxy.requests.length;
    expect(await backend.getRecords(table)).toHaveLength(2);
    expect(rig.proxy.requests.length - start).toBe(4);

    storm(2, TOO_MANY);
    start = rig.proxy.requests.length;
    await backend.updateRecords(table, [{ id: 1, fields: { Qty: 10 } }]);
    expect(rig.proxy.requests.length - start).toBe(3);

    storm(1, IN_FLUX);
    const upsert = await backend.upsertRecords(table, [{ require: { Sku: 'c' }, fields: { Qty: 3 } }]);
    expect(upsert.addRecordIds).toEqual([3]);

    storm(2, IN_FLUX);
    expect((await backend.sql(`SELECT count(*) AS n FROM ${table}`)).records).toEqual([{ fields: { n: 3 } }]);
    rig.proxy.setRule(undefined);
    // Each write happened exactly once.
    expect((await rig.direct.getRecords(table)).map((r) => r.fields)).toEqual([
      { Sku: 'a', Qty: 10 },
      { Sku: 'b', Qty: 2 },
      { Sku: 'c', Qty: 3 },
    ]);
  });

  it("gives up after the retries with Grist's status and text", async () => {
    const backend = rig.through({ retries: 2 });
    rig.proxy.setRule(() => TOO_MANY);
    const start = rig.proxy.requests.length;
    const err = await failure(backend.listTables());
    expect(err.status).toBe(429);
    expect(err.message).toBe('Too many backlogged requests for document (after 3 attempts)');
    expect(err.extra?.kind).toBe('unavailable');
    expect(rig.proxy.requests.length - start).toBe(3);
    rig.proxy.setRule(undefined);
  });

  it('never retries a POST that adds rows (records, tables, columns, attachments)', async () => {
    const backend = rig.through({ retries: 3 });
    rig.proxy.setRule((req) => (req.method === 'POST' && !req.path.endsWith('/sql') ? IN_FLUX : { kind: 'pass' }));
    const start = rig.proxy.requests.length;
    const add = await failure(backend.addRecords(table, [{ fields: { Sku: 'x' } }]));
    expect(add.status).toBe(503);
    expect(add.message).toBe('Document in flux - try again');
    await failure(backend.createTables([{ id: 'New', columns: [{ id: 'A' }] }]));
    await failure(backend.addColumns(table, [{ id: 'Extra' }]));
    await failure(backend.uploadAttachments([{ fileName: 'a.txt', data: new Uint8Array([1]) }]));
    expect(rig.proxy.requests.length - start).toBe(4);
    rig.proxy.setRule(undefined);
    expect(await rig.direct.getRecords(table)).toHaveLength(3);
  });

  it('passes the key only in the Authorization header, and the Host override, and encodes ids', async () => {
    const backend = rig.through({ hostHeader: 'grist.example.com' });
    const start = rig.proxy.requests.length;
    const err = await failure(backend.getRecords('my table/x?'));
    // Grist decodes the id and fails on it as a Python key (grist-api.md 1.1).
    expect(err.status).toBe(400);
    expect(err.message).toBe("Error manipulating data: [Sandbox] KeyError 'my table/x?'");
    const seen = rig.proxy.requests.slice(start);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.path).toBe(`/api/docs/${rig.api.docId}/tables/my%20table%2Fx%3F/records`);
    expect(seen[0]?.headers['host']).toBe('grist.example.com');
    expect(seen[0]?.headers['authorization']).toMatch(/^Bearer /);
    expect(seen[0]?.url).not.toContain('key');
  });
});

describe('retry policy', () => {
  it('treats only reads, PATCH, PUT, SQL and records/list as idempotent', () => {
    expect(isIdempotent('GET', '/tables/T/records')).toBe(true);
    expect(isIdempotent('PATCH', '/tables/T/records')).toBe(true);
    expect(isIdempotent('PUT', '/tables/T/records')).toBe(true);
    expect(isIdempotent('POST', '/sql')).toBe(true);
    expect(isIdempotent('POST', '/tables/T/records/list')).toBe(true);
    expect(isIdempotent('POST', '/tables/T/records')).toBe(false);
    expect(isIdempotent('POST', '/tables')).toBe(false);
    expect(isIdempotent('POST', '/apply')).toBe(false);
    expect(isIdempotent('DELETE', '/tables/T/columns/C')).toBe(false);
  });

  it('backs off exponentially with jitter, honours Retry-After, and caps the wait', () => {
    const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(retryDelayMs(policy, 0, undefined, () => 0)).toBe(50);
    expect(retryDelayMs(policy, 0, undefined, () => 1)).toBe(100);
    expect(retryDelayMs(policy, 2, undefined, () => 0)).toBe(200);
    expect(retryDelayMs(policy, 2, undefined, () => 1)).toBe(400);
    expect(retryDelayMs(policy, 10, undefined, () => 1)).toBe(1000);
    expect(retryDelayMs(policy, 0, '0.25')).toBe(250);
    expect(retryDelayMs(policy, 0, '3600')).toBe(1000);
    expect(retryDelayMs(policy, 1, 'Wed, 21 Oct 2015 07:28:00 GMT', () => 0)).toBe(100);
  });
});
