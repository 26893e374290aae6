/**
 * Attachments: metadata rows in `_grist_Attachments`, bytes in `_gristsys_Files` keyed by `fileIdent`
 * (sha1 hex + extension), so identical uploads share their stored bytes.
 */
import { createHash } from 'node:crypto';
import { GristError } from '../backend/errors.js';
import type { AttachmentDownload, AttachmentMetadata, AttachmentUpload, GetRecordsOptions } from '../backend/types.js';
import type { StoredValue } from './cells.js';
import { readRows } from './read.js';
import { chunks } from './records.js';
import { quoteIdent } from './schema.js';
import type { Store } from './store.js';

/** Content types by extension (section 8.3); anything else is `application/octet-stream`. */
const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.pdf': 'application/pdf',
  '.json': 'application/json',
};

/** Chunk size of download streams. */
const STREAM_CHUNK = 64 * 1024;

/** The extension Grist stores: `.txt`, or `.bin` when the name has none. */
export function fileExtOf(fileName: string): string {
  const m = /(\.[A-Za-z0-9_-]+)$/.exec(fileName);
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  return m && base.lastIndexOf('.') > 0 ? (m[1] as string) : '.bin';
}

/** Width and height of a PNG (from its IHDR chunk), else 0 x 0. */
export function imageSize(data: Uint8Array): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (data.length >= 24 && sig.every((b, i) => data[i] === b)) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  return { width: 0, height: 0 };
}

/** Stores the files; returns their new ids in order. */
export function uploadAttachments(store: Store, files: readonly AttachmentUpload[], sha1s?: readonly string[]): number[] {
  const putFile = store.db.prepare('INSERT INTO "_gristsys_Files" (ident, data) VALUES (?, ?) ON CONFLICT(ident) DO NOTHING');
  const hasFile = store.db.prepare('SELECT 1 FROM "_gristsys_Files" WHERE ident = ?').pluck();
  const insert = store.db.prepare(`INSERT INTO "_grist_Attachments" (fileIdent, fileName, fileType, fileSize, fileExt,
      imageHeight, imageWidth, timeDeleted, timeUploaded) VALUES (?, ?, '', ?, ?, ?, ?, NULL, ?)`);
  const ids: number[] = [];
  files.forEach((f, i) => {
    const ext = fileExtOf(f.fileName);
    const ident = (sha1s?.[i] ?? sha1Hex(f.data)) + ext;
    // Content already stored (same bytes): no need to hand SQLite the whole blob again.
    if (hasFile.get(ident) === undefined) putFile.run(ident, Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength));
    const { width, height } = imageSize(f.data);
    const info = insert.run(ident, f.fileName, f.data.byteLength, ext, height, width, Date.now());
    ids.push(Number(info.lastInsertRowid));
  });
  return ids;
}

/** The SHA-1 of a file's bytes, hex: its identity in `_gristsys_Files` (with the extension). */
export function sha1Hex(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex');
}

/** Bytes hashed per event-loop turn by {@link sha1HexInSlices} (about a millisecond of SHA-1). */
const HASH_SLICE_BYTES = 1024 * 1024;

/**
 * The same, in slices of a mebibyte with the event loop free between them, so hashing a large upload
 * never blocks it for long. The slices are views: nothing is copied (WebCrypto's `digest`, which ran on
 * the thread pool before, copies its whole input first: another 24 MiB per 24 MiB upload).
 */
export async function sha1HexInSlices(data: Uint8Array): Promise<string> {
  const hash = createHash('sha1');
  for (let at = 0; at < data.byteLength; at += HASH_SLICE_BYTES) {
    if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    hash.update(data.subarray(at, at + HASH_SLICE_BYTES));
  }
  return hash.digest('hex');
}

/** The public metadata of an attachment row. */
function metadataOf(fields: Record<string, unknown>): AttachmentMetadata {
  const ms = typeof fields.timeUploaded === 'number' ? fields.timeUploaded : 0;
  return {
    fileName: typeof fields.fileName === 'string' ? fields.fileName : '',
    fileSize: typeof fields.fileSize === 'number' ? fields.fileSize : 0,
    timeUploaded: new Date(ms).toISOString(),
  };
}

/** `GET /attachments` with filter/sort/limit as for records (on the metadata fields). */
export function listAttachments(store: Store, options: GetRecordsOptions = {}): { id: number; fields: AttachmentMetadata }[] {
  const table = store.resolve('_grist_Attachments');
  const rows = readRows(store, table, { ...options, hidden: true });
  return rows.map((r) => {
    const fields: Record<string, unknown> = {};
    table.columns.forEach((c, i) => { fields[c.colId] = r.cells[i + 1]; });
    return { id: r.id, fields: metadataOf(fields) };
  });
}

interface AttachmentRow { fileIdent: string; fileName: string; fileSize: number; fileExt: string; timeUploaded: number }

function attachmentRow(store: Store, id: number): AttachmentRow {
  const row = Number.isInteger(id)
    ? store.stmt('SELECT fileIdent, fileName, fileSize, fileExt, timeUploaded FROM "_grist_Attachments" WHERE id = ?').get(id) as AttachmentRow | undefined
    : undefined;
  if (!row) { throw new GristError(404, `Attachment not found: ${id}`, undefined, { kind: 'attachment' }); }
  return row;
}

/** `GET /attachments/{id}`. */
export function getAttachmentMetadata(store: Store, id: number): AttachmentMetadata {
  return metadataOf({ ...attachmentRow(store, id) });
}

/** `GET /attachments/{id}/download`: the bytes as a stream of chunks. */
export function downloadAttachment(store: Store, id: number): AttachmentDownload {
  const row = attachmentRow(store, id);
  const file = store.stmt('SELECT data FROM "_gristsys_Files" WHERE ident = ?').get(row.fileIdent) as { data: Uint8Array | null } | undefined;
  if (!file) { throw new GristError(404, `Attachment not found: ${id}`, undefined, { kind: 'attachment' }); }
  const data = file.data ?? new Uint8Array(0);
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.byteLength) { controller.close(); return; }
      const end = Math.min(offset + STREAM_CHUNK, data.byteLength);
      controller.enqueue(new Uint8Array(data.buffer, data.byteOffset + offset, end - offset));
      offset = end;
    },
  });
  return {
    fileName: row.fileName,
    contentType: CONTENT_TYPES[row.fileExt.toLowerCase()] ?? 'application/octet-stream',
    size: data.byteLength,
    body,
  };
}

/** Deletes every attachment no `Attachments` cell refers to, and the stored bytes nobody shares any more. */
export function removeUnusedAttachments(store: Store): void {
  const used = new Set<number>();
  for (const t of store.userTables()) {
    for (const c of t.columns) {
      if (c.colType.base !== 'Attachments' || c.computed) { continue; }
      const rows = store.db.prepare(`SELECT ${quoteIdent(c.colId)} FROM ${quoteIdent(t.tableId)} WHERE ${quoteIdent(c.colId)} IS NOT NULL`)
        .raw(true).all() as [StoredValue][];
      for (const [stored] of rows) {
        const v = c.decode(stored);
        if (Array.isArray(v)) { for (const x of v.slice(1)) { if (typeof x === 'number') { used.add(x); } } }
        else if (typeof v === 'number') { used.add(v); }
      }
    }
  }
  const all = (store.db.prepare('SELECT id FROM "_grist_Attachments"').raw(true).all() as [number][]).map(([id]) => id);
  const unused = all.filter((id) => !used.has(id));
  for (const chunk of chunks(unused)) {
    store.db.prepare(`DELETE FROM "_grist_Attachments" WHERE id IN (${chunk.map(() => '?').join(',')})`).run(...chunk);
  }
  store.db.exec('DELETE FROM "_gristsys_Files" WHERE ident NOT IN (SELECT fileIdent FROM "_grist_Attachments")');
}
