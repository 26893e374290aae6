/**
 * Attachments through the client: `gg.uploadAttachment(file, filename)` and `gg.downloadAttachment(id)`,
 * over the gateway's `POST /api/v1/attachments` and `GET /api/v1/attachments/{id}` (session tokens:
 * upload needs `write`, download `read`). Failures reject with the same {@link GatewayClientError}s as
 * every other call.
 */
import { GatewayClientError } from './errors.js';
import { gatewayFetch, type GatewayTransport } from './http.js';

/** What {@link AttachmentMethods.uploadAttachment} accepts: a `File`, a `Blob`, or bytes (a Node `Buffer` is a `Uint8Array`). */
export type AttachmentData = Blob | Uint8Array | ArrayBuffer;

/** An attachment being downloaded: its metadata, and its bytes as a stream or all at once (read one way, once). */
export interface DownloadedAttachment {
  /** The attachment's file name. */
  fileName: string;
  /** Its MIME type, as the gateway reports it. */
  contentType: string;
  /** Its size in bytes. */
  size: number;
  /** The bytes, streamed (for large files: pipe them to disk). */
  body: ReadableStream<Uint8Array>;
  /** Reads the whole body into memory. */
  bytes(): Promise<Uint8Array>;
}

/** The attachment methods every client created by `createGatewayClient` has. */
export interface AttachmentMethods {
  /**
   * Uploads one file to the token's document and resolves to its attachment id, to put in an
   * Attachments column as `['L', id]`. Needs a session token with `write`.
   */
  uploadAttachment(file: AttachmentData, filename?: string): Promise<number>;
  /** Downloads an attachment by id (byte-exact, streamed). Needs a session token with `read`. */
  downloadAttachment(id: number): Promise<DownloadedAttachment>;
}

/** The file name of a `Content-Disposition` header (the exact UTF-8 `filename*` when present). */
function fileNameOf(disposition: string | null): string {
  if (!disposition) return '';
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // fall back to the plain name
    }
  }
  return /filename\s*=\s*"([^"]*)"/i.exec(disposition)?.[1] ?? '';
}

/** The attachment methods over one gateway and token. */
export function attachmentMethods(transport: GatewayTransport): AttachmentMethods {
  return {
    async uploadAttachment(file, filename) {
      const name = filename ?? (typeof File !== 'undefined' && file instanceof File ? file.name : undefined);
      if (!name) throw new TypeError('uploadAttachment: give a filename (only a File carries its own name)');
      const blob = file instanceof Blob ? file : new Blob([file instanceof ArrayBuffer ? file : new Uint8Array(file)]);
      const form = new FormData();
      form.append('file', blob, name);
      const url = `${transport.base}/api/v1/attachments`;
      const response = await gatewayFetch(transport, url, { method: 'POST', body: form });
      const answer = (await response.json()) as { data?: { attachment_id?: unknown } };
      const id = answer.data?.attachment_id;
      if (typeof id !== 'number') throw GatewayClientError.fromAnswer(502, { error: `${url} answered without an attachment_id` }, url);
      return id;
    },

    async downloadAttachment(id) {
      if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError(`downloadAttachment: id must be a positive integer, got ${String(id)}`);
      const url = `${transport.base}/api/v1/attachments/${id}`;
      const response = await gatewayFetch(transport, url, { method: 'GET' });
      const body = response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
      return {
        fileName: fileNameOf(response.headers.get('content-disposition')),
        contentType: response.headers.get('content-type') ?? 'application/octet-stream',
        size: Number(response.headers.get('content-length') ?? NaN),
        body,
        async bytes() {
          return new Uint8Array(await new Response(body).arrayBuffer());
        },
      };
    },
  };
}
