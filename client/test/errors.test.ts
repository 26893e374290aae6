/**
 * Typed errors and transport options of the client against a live gateway on loopback.
 */
import net from 'node:net';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from '../../server/test/helpers/gateway.js';
import { createGatewayClient, GatewayClientError, gatewayError } from '../src/index.js';

let gw: TestGateway;
let session: string;

beforeAll(async () => {
  gw = await startTestGateway();
  session = await gw.session(tokens.admin, ['read', 'write', 'schema']);
  await createGatewayClient({ url: gw.url, token: session }).create_table.mutate({ table_id: 'E', columns: [{ id: 'A', type: 'Text' }] });
});
afterAll(async () => {
  await gw?.close();
});

/** A `fetch` that counts the HTTP requests it makes. */
function countingFetch(): { fetch: typeof fetch; count: () => number } {
  let n = 0;
  return { fetch: (input, init) => ((n += 1), fetch(input, init)), count: () => n };
}

describe('GatewayClientError', () => {
  it('is what every failed call rejects with, carrying code, message and details', async () => {
    const gg = createGatewayClient({ url: gw.url, token: session });
    const err = await gg.add_records.mutate({ table: 'E', records: [{ Nope: 1 }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayClientError);
    expect(err).toBeInstanceOf(TRPCClientError);
    const e = err as GatewayClientError;
    expect(e.name).toBe('GatewayClientError');
    expect(['INVALID_REQUEST', 'NOT_FOUND']).toContain(e.code);
    expect(e.message).toContain('Nope');
    expect(e.details).toMatchObject({ table: 'E' });
    expect(e.data?.gatewayCode).toBe(e.code);
    // The old helper still works and hands back the same object.
    expect(gatewayError(e)).toBe(e);
    expect(gatewayError(new Error('unrelated'))).toBeUndefined();
  });

  it('reports an unreachable gateway as UNAVAILABLE', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const gg = createGatewayClient({ url: `http://127.0.0.1:${port}`, token: session });
    const err = await gg.list_tables.query({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayClientError);
    expect((err as GatewayClientError).code).toBe('UNAVAILABLE');
  });
});

describe('transport', () => {
  it('batches calls made together into one request, each keeping its own result or error', async () => {
    const batched = countingFetch();
    const gg = createGatewayClient({ url: gw.url, token: session, fetch: batched.fetch });
    const [tables, missing, described] = await Promise.allSettled([
      gg.list_tables.query({}),
      gg.get_records.query({ table: 'Missing' }),
      gg.describe_table.query({ table: 'E' }),
    ]);
    expect(batched.count()).toBe(1);
    expect(tables).toMatchObject({ status: 'fulfilled', value: { tables: expect.arrayContaining(['E']) } });
    expect(missing).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND' } });
    expect(described).toMatchObject({ status: 'fulfilled', value: { table: 'E' } });

    const single = countingFetch();
    const plain = createGatewayClient({ url: `${gw.url}/api/v1/proxy`, token: session, fetch: single.fetch, batch: false });
    await Promise.all([plain.list_tables.query({}), plain.describe_table.query({ table: 'E' })]);
    expect(single.count()).toBe(2);
  });
});
