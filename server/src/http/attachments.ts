/**
 * Attachment endpoints of the proxy (as in grist-mcp): `POST /api/v1/attachments` (multipart, field
 * `file`, needs write) and `GET /api/v1/attachments/{id}` (streams the bytes, needs read).
 */
import type { Permission } from '@grist-gateway/shared';
import type { Context as HonoContext } from 'hono';
import { bearerToken, contextFromBearer, type GatewayServices, type Grant } from '../context.js';
import { attachmentReachable, requireAttachmentColumn } from '../auth/scope-attachments.js';
import { buildScopeView } from '../auth/scope-guard.js';
import { GatewayError } from '../errors.js';
import { readBytesLimited } from './body.js';
import { multipartBoundary, multipartPartCounter, parseMultipart } from './multipart.js';
import { errorResponse } from './proxy.js';
import { limits } from '../limits/index.js';

/** Options of the attachment endpoints. */
export interface AttachmentOptions {
  /** Largest accepted upload (whole multipart body) in bytes. */
  maxUploadBytes: number;
  /** Most parts the multipart body may have (default limits.maxMultipartParts). */
  maxParts?: number;
}

/** Resolves the session grant of a request and checks one permission. */
async function requireGrant(services: GatewayServices, c: HonoContext, permission: Permission, what: string): Promise<Grant> {
  const ctx = await contextFromBearer(services, bearerToken(c.req.header('authorization')), 'proxy');
  if (ctx.authFailure) throw new GatewayError(ctx.authFailure.code, ctx.authFailure.message);
  if (!ctx.grant) throw new GatewayError('INVALID_TOKEN', 'Attachments need a session token (sess_...)');
  if (!ctx.grant.permissions.has(permission)) {
    throw new GatewayError('UNAUTHORIZED', `Permission '${permission}' required for ${what} on document "${ctx.grant.document}"`);
  }
  return ctx.grant;
}

/** `Content-Disposition` with an ASCII fallback and the exact UTF-8 name (RFC 6266). */
function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** `POST /api/v1/attachments`. */
export function uploadHandler(services: GatewayServices, options: AttachmentOptions) {
  return async (c: HonoContext): Promise<Response> => {
    const started = performance.now();
    try {
      const grant = await requireGrant(services, c, 'write', 'upload_attachment');
      const contentType = c.req.header('content-type') ?? '';
      if (!/^multipart\/form-data/i.test(contentType)) {
        throw new GatewayError('INVALID_REQUEST', 'Send the file as multipart/form-data in a field named "file"');
      }
      const boundary = multipartBoundary(contentType);
      const maxParts = options.maxParts ?? limits.maxMultipartParts;
      const bytes = await readBytesLimited(c, options.maxUploadBytes, multipartPartCounter(boundary, maxParts));
      const parts = parseMultipart(bytes, boundary, maxParts);
      const file = parts.find((p) => p.name === 'file' && p.fileName !== undefined) ?? parts.find((p) => p.name === 'upload' && p.fileName !== undefined);
      if (!file) throw new GatewayError('INVALID_REQUEST', 'Missing required field: file');
      const data = file.data;
      const fileName = file.fileName || 'upload.bin';
      const backend = services.backends.get(grant.document);
      if (grant.tables?.length) requireAttachmentColumn(await buildScopeView(grant.tables, backend));
      const [id] = await backend.uploadAttachments([{ fileName, data }]);
      services.logger.info(
        { entry: 'proxy', principal: grant.principal, document: grant.document, method: 'upload_attachment', bytes: data.byteLength, status: 'ok', durationMs: Math.round(performance.now() - started) },
        'call',
      );
      return c.json({ success: true, data: { attachment_id: id, filename: fileName, size_bytes: data.byteLength } });
    } catch (err) {
      return errorResponse(c, err, services.logger);
    }
  };
}

/** `GET /api/v1/attachments/{id}`. */
export function downloadHandler(services: GatewayServices) {
  return async (c: HonoContext): Promise<Response> => {
    try {
      const grant = await requireGrant(services, c, 'read', 'download_attachment');
      const idText = c.req.param('id') ?? '';
      const id = /^\d+$/.test(idText) ? Number(idText) : NaN;
      if (!Number.isSafeInteger(id) || id <= 0) {
        throw new GatewayError('INVALID_REQUEST', `id: expected a positive integer attachment id, got "${idText}"`);
      }
      const backend = services.backends.get(grant.document);
      // A token limited to some tables reaches only attachments held by cells it may read.
      if (grant.tables?.length && !(await attachmentReachable(await buildScopeView(grant.tables, backend), backend, id))) {
        throw new GatewayError('NOT_FOUND', `Attachment not found: ${id}`);
      }
      const file = await backend.downloadAttachment(id);
      services.logger.info(
        { entry: 'proxy', principal: grant.principal, document: grant.document, method: 'download_attachment', bytes: file.size, status: 'ok' },
        'call',
      );
      return new Response(file.body, {
        status: 200,
        headers: {
          'content-type': file.contentType,
          'content-length': String(file.size),
          'content-disposition': contentDisposition(file.fileName),
          'x-content-type-options': 'nosniff',
        },
      });
    } catch (err) {
      return errorResponse(c, err, services.logger);
    }
  };
}
