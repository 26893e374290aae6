/**
 * Grist (or something in front of it) misbehaving: answers of the wrong shape, answers that are not JSON,
 * an HTML error page, an error text echoing the request's Authorization header. None of it is ever
 * reported as the caller's fault (502 GRIST_ERROR), and no secret reaches the caller.
 */
import { initTRPC } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fromGristError, toGatewayError } from '../../src/errors.js';
import { TEST_API_KEY } from '../conformance/rest-api.js';
import { failure, startFaultRig, type FaultRig } from './setup.js';

describe('HTTP backend: malformed answers and leaky upstreams', () => {
  let rig: FaultRig;
  let table: string;

  beforeAll(async () => {
    rig = await startFaultRig();
    [table = ''] = await rig.direct.createTables([{ id: 'Shapes', columns: [{ id: 'A', fields: { type: 'Text' } }] }]);
    await rig.direct.addRecords(table, [{ fields: { A: 'x' } }]);
  });
  afterAll(async () => {
    await rig.close();
  });

  it('a wrong shape, a non-JSON answer or an HTML 404 page is 502 GRIST_ERROR, never 4xx', async () => {
    const cases: [string, Parameters<FaultRig['proxy']['setRule']>[0]][] = [
      ['shape', () => ({ kind: 'answer', status: 200, body: { records: 'nope' } })],
      ['ids', () => ({ kind: 'answer', status: 200, body: { records: [{ id: 'one' }] } })],
      ['html404', () => ({ kind: 'answer', status: 404, body: '<html>nginx</html>' })],
      ['html500', () => ({ kind: 'answer', status: 500, body: '<html>oops</html>' })],
    ];
    for (const [name, rule] of cases) {
      rig.proxy.setRule(rule);
      const read = await failure(rig.through({ retries: 0 }).getRecords(table));
      const write = await failure(rig.through({ retries: 0 }).addRecords(table, [{ fields: { A: 'y' } }]));
      for (const err of [read, write]) expect(fromGristError(err), name).toMatchObject({ code: 'GRIST_ERROR', status: 502 });
    }
    rig.proxy.setRule(undefined);
  });

  it('scrubs the API key and bearer tokens that an upstream echoes in its error text', async () => {
    rig.proxy.setRule((req) => ({
      kind: 'answer',
      status: 400,
      body: { error: `bad request, headers: ${String(req.headers['authorization'])}; key=${TEST_API_KEY}`, details: { userError: `again ${TEST_API_KEY}` } },
    }));
    const err = await failure(rig.through().getRecords(table)); // `failure` checks the key is nowhere
    rig.proxy.setRule(undefined);
    expect(err.message).toContain('[redacted]');
    const mapped = fromGristError(err);
    expect(mapped.message).not.toContain(TEST_API_KEY);
    expect(mapped).toMatchObject({ code: 'GRIST_ERROR', status: 400 });
  });

  it('an answer failing the method output schema is 502 "unexpected answer from Grist", not the caller\'s fault', async () => {
    const t = initTRPC.create();
    const router = t.router({
      describe: t.procedure.output(z.object({ columns: z.array(z.object({ id: z.string(), label: z.string() })) })).query(() => ({ columns: [{ id: 'A' }] }) as never),
    });
    let caught: unknown;
    try {
      await t.createCallerFactory(router)({}).describe();
    } catch (err) {
      caught = err;
    }
    const mapped = toGatewayError(caught);
    expect(mapped).toMatchObject({ code: 'GRIST_ERROR', status: 502 });
    expect(mapped.message).toBe('unexpected answer from Grist: columns[0].label: required field is missing');
  });
});
