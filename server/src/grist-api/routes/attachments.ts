/**
 * Attachment routes (grist-api.md section 8): upload (multipart field `upload`), list, metadata,
 * streaming download, `removeUnused`, `store`.
 */
import { GristError } from '../../backend/errors.js';
import type { AttachmentUpload } from '../../backend/types.js';
import type { DocRequest, DocRoute } from '../context.js';
import { downloadHeaders } from '../download.js';
import { boolFlag, parseReadQuery } from '../query.js';

/** The `{attId}` path segment as an integer (400 with Grist's text otherwise). */
function attIdParam(r: DocRequest): number {
  const raw = r.param('attId');
  if (!/^-?\d+$/.test(raw)) throw new GristError(400, `attId parameter cannot be understood as an integer: ${raw}`);
  return Number(raw);
}

/** The files of a multipart upload's `upload` field, in part order. */
async function readUploads(req: Request): Promise<AttachmentUpload[]> {
  const contentType = req.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data\b/i.test(contentType)) throw new GristError(415, 'unsupported content-type');
  let form: FormData;
  try {
    form = await req.formData();
  } catch {
    throw new GristError(400, 'missing payload');
  }
  const files: AttachmentUpload[] = [];
  for (const entry of form.getAll('upload')) {
    if (typeof entry === 'string') continue;
    files.push({ fileName: entry.name, data: new Uint8Array(await entry.arrayBuffer()) });
  }
  if (files.length === 0) throw new GristError(400, 'missing payload');
  return files;
}

/** The attachment routes. */
export const attachmentRoutes: DocRoute[] = [
  {
    method: 'POST',
    path: '/attachments',
    handler: async (r) => r.doc.uploadAttachments(await readUploads(r.req)),
  },
  {
    method: 'GET',
    path: '/attachments',
    handler: async (r) => ({ records: await r.doc.listAttachments(parseReadQuery(r.query).options) }),
  },
  {
    method: 'GET',
    path: '/attachments/store',
    handler: async () => ({ type: 'internal' }),
  },
  {
    method: 'POST',
    path: '/attachments/removeUnused',
    handler: async (r) => {
      await r.doc.removeUnusedAttachments();
      return null;
    },
  },
  {
    method: 'GET',
    path: '/attachments/:attId',
    handler: async (r) => r.doc.getAttachmentMetadata(attIdParam(r)),
  },
  {
    method: 'GET',
    path: '/attachments/:attId/download',
    handler: async (r) => {
      const file = await r.doc.downloadAttachment(attIdParam(r));
      const name = r.query.all('name')[0];
      const headers = downloadHeaders(file, { inline: boolFlag(r.query, 'inline'), ...(name !== undefined ? { name } : {}) });
      // Streamed: the file is never held whole in memory here.
      return new Response(file.body, { status: 200, headers });
    },
  },
];
