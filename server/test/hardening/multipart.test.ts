/** A multipart upload of many tiny parts is refused after a fast scan, before the parser can block the event loop. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let session: string;
beforeAll(async () => {
  gw = await startTestGateway();
  session = await gw.session(tokens.admin, ['read', 'write']);
});
afterAll(async () => {
  await gw?.close();
});

describe('multipart part limit', () => {
  it('refuses 200,000 parts with INVALID_REQUEST naming the limit, quickly', async () => {
    const boundary = 'b0undary';
    const part = `--${boundary}\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n`;
    const body = part.repeat(200_000) + `--${boundary}--\r\n`;
    const started = performance.now();
    const res = await fetch(`${gw.url}/api/v1/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ success: false, code: 'INVALID_REQUEST', error: 'multipart body has more than the limit of 100 parts; send one field "file"' });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('an ordinary upload still works', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array([1, 2, 3])]), 'three.bin');
    const res = await fetch(`${gw.url}/api/v1/attachments`, { method: 'POST', headers: { authorization: `Bearer ${session}` }, body: form });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { size_bytes: number } }).data.size_bytes).toBe(3);
  });
});
