import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GristError } from '../backend/errors.js';
import { fileExtOf, imageSize, sha1HexInSlices } from './attachments.js';
import { EmbeddedDocument } from './document.js';

/** A 1x1 PNG (70 bytes, as 07 upload-two's dot.png). */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
  '1f15c4890000000d49444154789c6300010000050001' + '0d0a2db40000000049454e44ae426082', 'hex');

let doc: EmbeddedDocument;
beforeEach(() => {
  doc = EmbeddedDocument.create(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'engine-att-')), 'doc.grist'));
});
afterEach(async () => { await doc.close(); });

async function text(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) { parts.push(chunk); }
  return Buffer.concat(parts);
}
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('attachments', () => {
  test('upload, metadata rows, list with sort/limit/filter (07 meta-table-attachments)', async () => {
    const before = Date.now();
    expect(await doc.uploadAttachments([{ fileName: 'hello.txt', data: enc('hello world\n') }])).toEqual([1]);
    expect(await doc.uploadAttachments([{ fileName: 'dot.png', data: PNG }, { fileName: 'data.csv', data: enc('a,b\n1,2\n') }])).toEqual([2, 3]);
    expect(await doc.uploadAttachments([{ fileName: 'hello-copy.txt', data: enc('hello world\n') },
      { fileName: 'ünïcødé notes', data: enc('some notes!\n') }, { fileName: 'empty.txt', data: new Uint8Array(0) }])).toEqual([4, 5, 6]);
    const meta = await doc.getRecords('_grist_Attachments');
    expect(meta[0]?.fields).toMatchObject({ fileIdent: '22596363b3de40b06f981fb85d82312e8c0ed511.txt', fileName: 'hello.txt',
      fileType: '', fileSize: 12, fileExt: '.txt', imageHeight: 0, imageWidth: 0, timeDeleted: null });
    expect(meta[1]?.fields).toMatchObject({ fileExt: '.png', imageHeight: 1, imageWidth: 1, fileSize: PNG.length });
    expect(meta[3]?.fields.fileIdent).toBe(meta[0]?.fields.fileIdent);
    expect(meta[4]?.fields.fileExt).toBe('.bin');
    expect(meta[5]?.fields.fileIdent).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709.txt');
    expect(meta[0]?.fields.timeUploaded as number).toBeGreaterThanOrEqual(before);
    // Identical content shares the stored bytes.
    expect(doc.db.prepare('SELECT count(*) AS n FROM _gristsys_Files').get()).toEqual({ n: 5 });
    const list = await doc.listAttachments();
    expect(list[0]).toEqual({ id: 1, fields: { fileName: 'hello.txt', fileSize: 12, timeUploaded: new Date(meta[0]?.fields.timeUploaded as number).toISOString() } });
    expect((await doc.listAttachments({ sort: '-fileName', limit: 2 })).map((a) => a.id)).toEqual([5, 1]);
    expect((await doc.listAttachments({ filter: { fileName: ['dot.png'] } })).map((a) => a.id)).toEqual([2]);
    expect(await doc.getAttachmentMetadata(3)).toMatchObject({ fileName: 'data.csv', fileSize: 8 });
  });

  test('download streams the bytes with the content type of the extension; 404 for unknown ids', async () => {
    await doc.uploadAttachments([{ fileName: 'hello.txt', data: enc('hello world\n') }, { fileName: 'dot.png', data: PNG },
      { fileName: 'page.html', data: enc('<p>hi</p>') }, { fileName: 'noext', data: enc('x') }]);
    const d = await doc.downloadAttachment(1);
    expect([d.fileName, d.contentType, d.size]).toEqual(['hello.txt', 'text/plain; charset=utf-8', 12]);
    expect((await text(d.body)).toString()).toBe('hello world\n');
    const png = await doc.downloadAttachment(2);
    expect(png.contentType).toBe('image/png');
    expect(createHash('sha1').update(await text(png.body)).digest('hex')).toBe(createHash('sha1').update(PNG).digest('hex'));
    expect((await doc.downloadAttachment(3)).contentType).toBe('text/html; charset=utf-8');
    expect((await doc.downloadAttachment(4)).contentType).toBe('application/octet-stream');
    for (const p of [doc.downloadAttachment(99), doc.getAttachmentMetadata(99)]) {
      const err = await p.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(GristError);
      expect([(err as GristError).status, (err as GristError).message]).toEqual([404, 'Attachment not found: 99']);
    }
  });

  test('removeUnused keeps referenced attachments only (07 remove-unused)', async () => {
    await doc.createTables([{ id: 'Docs', columns: [{ id: 'Files', fields: { type: 'Attachments' } }] }]);
    await doc.uploadAttachments([{ fileName: 'a.txt', data: enc('a') }, { fileName: 'b.txt', data: enc('b') }, { fileName: 'c.txt', data: enc('c') }]);
    await doc.addRecords('Docs', [{ fields: { Files: ['L', 2, 99] } }]);
    await doc.removeUnusedAttachments();
    expect((await doc.listAttachments()).map((a) => a.id)).toEqual([2]);
    expect(doc.db.prepare('SELECT count(*) AS n FROM _gristsys_Files').get()).toEqual({ n: 1 });
    await expect(doc.downloadAttachment(1)).rejects.toThrow('Attachment not found: 1');
  });

  test('the same bytes uploaded twice: two attachments, one stored file named by their SHA-1', async () => {
    const before = (doc.db.prepare('SELECT count(*) AS n FROM _gristsys_Files').get() as { n: number }).n;
    const bytes = enc('same content, twice');
    const [first] = await doc.uploadAttachments([{ fileName: 'one.txt', data: bytes }]);
    const [second] = await doc.uploadAttachments([{ fileName: 'two.txt', data: bytes }]);
    expect(second).toBe((first as number) + 1);
    expect((doc.db.prepare('SELECT count(*) AS n FROM _gristsys_Files').get() as { n: number }).n).toBe(before + 1);
    const ident = createHash('sha1').update(bytes).digest('hex') + '.txt';
    expect(doc.db.prepare('SELECT count(*) AS n FROM _gristsys_Files WHERE ident = ?').get(ident)).toEqual({ n: 1 });
    for (const id of [first, second]) {
      const file = await doc.downloadAttachment(id as number);
      expect(Buffer.from(await new Response(file.body).arrayBuffer()).toString()).toBe('same content, twice');
    }
  });

  test('a multi-megabyte upload is named by the SHA-1 of all its bytes (hashed in slices, from a view into a larger buffer)', async () => {
    const whole = Buffer.alloc(3 * 1024 * 1024 + 12345);
    for (let i = 0; i < whole.length; i += 997) whole[i] = i % 251;
    const view = whole.subarray(7, whole.length - 5);
    const expected = createHash('sha1').update(view).digest('hex');
    expect(await sha1HexInSlices(view)).toBe(expected);
    expect(await sha1HexInSlices(new Uint8Array(0))).toBe(createHash('sha1').digest('hex'));
    await doc.uploadAttachments([{ fileName: 'big.bin', data: view }]);
    expect(doc.db.prepare('SELECT length(data) AS n FROM _gristsys_Files WHERE ident = ?').get(`${expected}.bin`)).toEqual({ n: view.length });
  });

  test('helpers: extension and PNG size', () => {
    expect([fileExtOf('a.txt'), fileExtOf('notes'), fileExtOf('.hidden'), fileExtOf('x.tar.gz')]).toEqual(['.txt', '.bin', '.bin', '.gz']);
    expect(imageSize(PNG)).toEqual({ width: 1, height: 1 });
    expect(imageSize(enc('not a png at all, long enough'))).toEqual({ width: 0, height: 0 });
  });
});
