/**
 * Wires the embedded engine's Grist-compatible REST API into `grist-gateway serve` when the config has
 * `grist_api`. The REST API and the gateway share one open instance per embedded document (a second
 * connection would keep its own schema cache and go stale).
 */
import type { Hono } from 'hono';
import { defaultBackendFactory, ensureEmbeddedFile, type BackendFactory } from '../backends/pool.js';
import type { GatewayConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import { createGristApiApp } from './app.js';
import { EmbeddedDocRegistry } from './registry.js';

/** What `serve` needs to expose the REST API. */
export interface GristApiSetup {
  /** Opens embedded documents through the shared registry. */
  backendFactory: BackendFactory;
  /** Mounts `/api/docs/...` and `/api/workspaces/...` on the gateway's app. */
  mount(app: Hono): void;
  close(): Promise<void>;
}

/** Builds the REST API setup for a config with `grist_api`. */
export function setupGristApi(config: GatewayConfig, logger: Logger): GristApiSetup | undefined {
  const api = config.gristApi;
  if (!api) return undefined;
  const documents: Record<string, string> = {};
  for (const doc of config.documents.values()) {
    if (doc.kind === 'embedded') {
      ensureEmbeddedFile(doc.path, logger);
      documents[doc.name] = doc.path;
    }
  }
  const registry = new EmbeddedDocRegistry({ dataDir: api.dataDir, documents });
  return {
    backendFactory: (doc, log) => (doc.kind === 'embedded' ? registry.get(doc.name) : defaultBackendFactory(doc, log)),
    mount(app) {
      app.route('/', createGristApiApp({ apiKey: api.apiKey, docs: registry }));
    },
    async close() {
      await registry.close();
    },
  };
}
