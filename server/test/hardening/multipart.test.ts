/** A multipart upload of many tiny parts is refused after a fast scan, before the parser can block the event loop. */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartPartCounter } from '../../src/http/multipart.js';
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

describe('multipart part counter (refusing while the body streams in)', () => {
  const boundary = 'b0';
  const body = (parts: number) =>
    Buffer.from(Array.from({ length: parts }, (_, i) => `--${boundary}\r\nContent-Disposition: form-data; name="x${i}"\r\n\r\nx--${boundary}\r\n`).join('') + `--${boundary}--\r\n`);
  const feed = (bytes: Buffer, size: number, maxParts: number): boolean => {
    const inspect = multipartPartCounter(boundary, maxParts);
    try {
      for (let at = 0; at < bytes.length; at += size) inspect(bytes.subarray(at, at + size));
      return false;
    } catch {
      return true;
    }
  };

  it('refuses past maxParts + 1 parts wherever the chunks are cut, never at or below it', () => {
    for (const size of [1, 2, 3, 5, 7, 64, 100_000]) {
      expect(feed(body(5), size, 5), `5 parts, chunks of ${size}`).toBe(false);
      expect(feed(body(6), size, 5), `6 parts, chunks of ${size}`).toBe(false);
      expect(feed(body(7), size, 5), `7 parts, chunks of ${size}`).toBe(true);
    }
  });

  it('answers while a huge many-part body is still being sent, without reading it all', async () => {
    const part = `--${boundary}\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n`;
    const answer = await new Promise<{ status: number; body: string } | 'no answer'>((resolve, reject) => {
      const req = http.request(`${gw.url}/api/v1/attachments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${session}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(20 * 1024 * 1024) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          clearTimeout(timer);
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body: text });
        });
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(err)));
      // 1,000 parts (about 50 kB) of a body announced as 20 MiB; the rest is never sent.
      req.write(part.repeat(1000));
      const timer = setTimeout(() => {
        req.destroy();
        resolve('no answer');
      }, 3000);
    });
    expect(answer).not.toBe('no answer');
    if (answer === 'no answer') return;
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'INVALID_REQUEST', error: 'multipart body has more than the limit of 100 parts; send one field "file"' });
  });
});
