/**
 * An unexpected failure inside a backend (a bug, not a Grist answer) becomes INTERNAL_ERROR with a
 * generic message: no stack, no internal text, no secret; the error is logged on the server side.
 * The backend here is a real embedded document whose listTables is made to throw, since a real engine
 * cannot be made to produce such a fault.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded } from '../src/backends/pool.js';
import { startTestGateway, tokens, type TestGateway } from './helpers/gateway.js';

const logged: string[] = [];
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({
    logger: pino({ level: 'error' }, new Writable({ write: (c: Buffer, _e, done) => (logged.push(c.toString()), done()) })),
    backendFactory: (doc) => {
      if (doc.kind !== 'embedded') throw new Error('unexpected');
      const real = openEmbedded(doc.path);
      return new Proxy(real, {
        get(target, prop, receiver) {
          if (prop === 'listTables') return () => Promise.reject(new TypeError('secret internal detail at /srv/x.js:1'));
          const value: unknown = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  });
});
afterAll(async () => {
  await gw?.close();
});

describe('INTERNAL_ERROR', () => {
  it('is a 500 with a generic message, logged server-side', async () => {
    const session = await gw.session(tokens.admin, ['read']);
    const res = await gw.proxy(session, { method: 'list_tables' });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ success: false, error: 'Internal error', code: 'INTERNAL_ERROR' });
    expect(logged.join('')).toContain('secret internal detail');
    expect(logged.join('')).not.toContain(session);
  });
});
