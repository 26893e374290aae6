/**
 * Headers of `GET /attachments/{id}/download`, exactly as Grist sends them (grist-api.md section 8.3).
 */
import type { AttachmentDownload } from '../backend/types.js';

/** Content types never shown inline: they could run script in the API's origin. */
const NEVER_INLINE = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/javascript|application\/javascript)\b/i;

/**
 * The file name put in `Content-Disposition`: `name` (the `?name=` override) or the stored name, with
 * `.bin` appended when it has no extension; characters outside printable ASCII become `ý` (byte 0xFD)
 * as Grist mangles them, and `"`/`\` are replaced so the quoted string stays well formed.
 */
export function dispositionFileName(name: string): string {
  const withExt = /\.[^./\\]+$/.test(name) ? name : `${name}.bin`;
  return withExt.replace(/[^\x20-\x7e]/g, '\u00fd').replace(/["\\]/g, '_');
}

/** The response headers of a download. */
export function downloadHeaders(file: AttachmentDownload, options: { inline: boolean; name?: string }): Record<string, string> {
  const inline = options.inline && !NEVER_INLINE.test(file.contentType);
  const fileName = dispositionFileName(options.name !== undefined && options.name !== '' ? options.name : file.fileName);
  return {
    'content-type': file.contentType,
    'content-disposition': `${inline ? 'inline' : 'attachment'}; filename="${fileName}"`,
    'cache-control': 'private, max-age=3600',
    'content-security-policy': "sandbox; default-src 'none'",
    'content-length': String(file.size),
  };
}
