/** The HTTP backend: a {@link DocBackend} for documents on a real Grist server. */
import type { DocBackend } from '../../backend/types.js';
import type { GristDocumentConfig } from '../../config/index.js';
import { GristHttpBackend } from './backend.js';

export { GristHttpBackend, type GristHttpBackendOptions } from './backend.js';
export { DocCapabilities, type Feature } from './capabilities.js';
export { GristClient, type GristClientOptions } from './client.js';
export { defaultRetryPolicy, isIdempotent, type RetryPolicy } from './retry.js';

/** Opens the backend of a `kind: grist` document of the gateway config (for the backend pool's factory). */
export function openGristDocument(doc: GristDocumentConfig): DocBackend {
  return new GristHttpBackend({
    url: doc.url,
    docId: doc.docId,
    apiKey: doc.apiKey,
    hostHeader: doc.hostHeader,
    maxRequestBytes: doc.maxRequestBytes,
  });
}
