/**
 * Absolute server paths never reach callers: where the gateway keeps its files is nobody's business but
 * the operator's. An error that names a document's file (a storage failure, a closed document) is
 * answered with the document's config name instead; the original text goes to the log.
 */
import type { DocBackend } from '../backend/types.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';

/** The file of an embedded backend (undefined for Grist documents). */
function filePathOf(backend: DocBackend): string | undefined {
  const p = (backend as { path?: unknown }).path;
  return typeof p === 'string' && p.length > 1 ? p : undefined;
}

/** `error` with the backend's file path replaced by `document "<name>"` (logged when it happens). */
export function withoutServerPaths(error: GatewayError, backend: DocBackend, document: string, logger: Logger): GatewayError {
  const file = filePathOf(backend);
  if (!file || !error.message.includes(file)) return error;
  logger.warn({ document, path: file, message: error.message }, 'error message named a server path; answered with the document name');
  const message = error.message.split(file).join(`document "${document}"`).replace(/document document "/g, 'document "');
  return new GatewayError(error.code, message, error.details, error.cause ?? error);
}
