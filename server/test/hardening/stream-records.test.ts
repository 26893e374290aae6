/**
 * get_records without limit on the JSON proxy streams the table in slices: the answer is byte-for-byte
 * the JSON of the whole sorted/filtered read, and errors before the stream starts are ordinary answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../../src/limits/index.js';
import { startTestGateway, tokens, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let session: string;
const ROWS = limits.readSliceRows * 2 + 123;

beforeAll(async () => {
  gw = await startTestGateway();
  session = await gw.session(tokens.admin, ['read', 'write', 'schema']);
  await gw.proxy(session, { method: 'create_table', table_id: 'Big', columns: [{ id: 'N', type: 'Int' }, { id: 'Tag', type: 'Text' }] });
  const records = Array.from({ length: ROWS }, (_, i) => ({ N: (i * 7919) % ROWS, Tag: i % 3 === 0 ? 'a' : 'b' }));
  const added = await gw.proxy(session, { method: 'add_records', table: 'Big', records });
  expect(added.status).toBe(200);
});
afterAll(async () => {
  await gw?.close();
});

/** The whole read paged by cursor in one page per call: the reference answer. */
async function reference(extra: Record<string, unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await gw.proxy(session, { method: 'get_records', table: 'Big', limit: 1000, ...extra, ...(cursor ? { cursor } : {}) });
    out.push(...page.body.data.records);
    if (!page.body.data.next_cursor) return out;
    cursor = page.body.data.next_cursor;
  }
}

describe('get_records without limit streams', () => {
  it('returns every row, in order, as one valid JSON answer (no sort, sort, filter + sort)', async () => {
    for (const extra of [{}, { sort: '-N' }, { filter: { Tag: 'a' }, sort: 'N' }]) {
      const res = await fetch(`${gw.url}/api/v1/proxy`, {
        method: 'POST',
        headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
        body: JSON.stringify({ method: 'get_records', table: 'Big', ...extra }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = (await res.json()) as { success: boolean; data: { records: unknown[]; next_cursor: null } };
      expect(body.success).toBe(true);
      expect(body.data.next_cursor).toBeNull();
      expect(body.data.records).toEqual(await reference(extra));
    }
  }, 60_000);

  it('a small table answers in one piece, and errors are ordinary answers', async () => {
    const small = await gw.proxy(session, { method: 'get_records', table: 'Big', filter: { N: [1, 2] } });
    expect(small.body.data.records).toHaveLength(2);
    const missing = await gw.proxy(session, { method: 'get_records', table: 'Nope' });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NOT_FOUND');
  });
});
