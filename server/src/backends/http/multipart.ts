/**
 * Builds the `multipart/form-data` body of an attachment upload (files in the field `upload`, as Grist
 * expects), without depending on a FormData implementation.
 */
import { randomBytes } from 'node:crypto';
import type { AttachmentUpload } from '../../backend/types.js';

/** A ready-to-send multipart body and its content type. */
export interface MultipartBody {
  body: Uint8Array;
  contentType: string;
}

/** Quotes a file name for a Content-Disposition parameter (RFC 7578: escape `"`, `\` and line breaks). */
function quoteName(name: string): string {
  return name.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ');
}

/** Encodes the files as parts of the field `upload`, in order. */
export function buildUploadBody(files: readonly AttachmentUpload[]): MultipartBody {
  const boundary = `----grist-gateway-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const file of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="${quoteName(file.fileName)}"\r\n` +
          `Content-Type: application/octet-stream\r\n\r\n`,
        'utf8',
      ),
      Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength),
      Buffer.from('\r\n', 'utf8'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
