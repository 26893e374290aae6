/**
 * sql_query over real HTTP: a query stopped by the time limit is the caller's 400 (as in Grist), a full
 * queue answers 429 RATE_LIMITED with Retry-After, queries of clients
 * that hung up are dropped, and another token's small query is not held up by either.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from '../helpers/gateway.js';

const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) AS n FROM c';

let gw: TestGateway;
let hostile: string;
let quiet: string;

beforeAll(async () => {
  gw = await startTestGateway();
  hostile = await gw.session(tokens.admin, ['read']);
  quiet = await gw.session(tokens.reader, ['read']);
  await gw.proxy(quiet, { method: 'sql_query', query: 'SELECT 1' }); // start the SQL worker
});
afterAll(async () => {
  await gw?.close();
});

/** Posts a query and hangs up after `ms` without reading the answer. */
function postAndHangUp(token: string, query: string, ms: number): Promise<void> {
  const { port } = new URL(gw.url);
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/api/v1/proxy', method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    req.on('error', () => resolve());
    req.end(JSON.stringify({ method: 'sql_query', query }));
    setTimeout(() => {
      req.destroy();
      resolve();
    }, ms);
  });
}

describe('sql_query under a flood', () => {
  it('answers 429 RATE_LIMITED with Retry-After when one caller queues too many', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        fetch(`${gw.url}/api/v1/proxy`, {
          method: 'POST',
          headers: { authorization: `Bearer ${hostile}`, 'content-type': 'application/json' },
          body: JSON.stringify({ method: 'sql_query', query: ENDLESS }),
        }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as { code: string; error: string; details?: { grist_status?: number } } })),
      ),
    );
    // The queries that ran were stopped by the time limit: the caller's query is too slow, so this is
    // Grist's own 400 answer, never a 5xx a client would retry (retrying would run it again).
    const stopped = answers.filter((a) => a.status !== 429);
    expect(stopped.length).toBeGreaterThanOrEqual(1);
    for (const a of stopped) {
      expect([a.status, a.body.code, a.body.error, a.body.details?.grist_status]).toEqual([400, 'GRIST_ERROR', 'a slow statement resulted in a database interrupt', 400]);
    }
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(3);
    for (const a of limited) {
      expect(a.body.code).toBe('RATE_LIMITED');
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    }
  }, 60_000);

  it('drops the queries of clients that hung up; another token answers at once', async () => {
    await Promise.all(Array.from({ length: 9 }, () => postAndHangUp(hostile, ENDLESS, 150)));
    const started = performance.now();
    const res = await gw.proxy(quiet, { method: 'sql_query', query: 'SELECT 1 AS one' });
    const waited = performance.now() - started;
    expect(res.body.data.records).toEqual([{ one: 1 }]);
    // Before: it waited for every abandoned query (about 1 s each).
    expect(waited).toBeLessThan(3000);
    // The abandoned queries are gone: the hostile token can run one right away too.
    const again = performance.now();
    const own = await gw.proxy(hostile, { method: 'sql_query', query: 'SELECT 2 AS two' });
    expect(own.body.data.records).toEqual([{ two: 2 }]);
    expect(performance.now() - again).toBeLessThan(3000);
  }, 60_000);
});
