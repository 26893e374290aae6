/**
 * Test harness: the embedded engine's Grist-compatible REST API on a real loopback port, with one fresh
 * document, and an HTTP backend pointed at it (directly, or through another base URL such as a proxy).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GristHttpBackend, type GristHttpBackendOptions } from '../../src/backends/http/index.js';
import { EmbeddedDocRegistry } from '../../src/grist-api/registry.js';
import { startGristApiServer } from '../../src/grist-api/serve.js';

/** The API key of the test REST API (a test value, not a secret). */
export const TEST_API_KEY = 'test-api-key-6f1b2c';

/** A running REST API with one document. */
export interface TestRestApi {
  url: string;
  docId: string;
  dir: string;
  /** A backend on the document; `url` defaults to the API itself. */
  backend(options?: Partial<GristHttpBackendOptions>): GristHttpBackend;
  close(): Promise<void>;
}

/** Starts the REST API in a temp dir with a new document. */
export async function startTestRestApi(): Promise<TestRestApi> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-rest-'));
  const docs = new EmbeddedDocRegistry({ dataDir: dir });
  const docId = docs.create('conformance');
  const server = await startGristApiServer({ port: 0, host: '127.0.0.1', apiKey: TEST_API_KEY, docs });
  const backends: GristHttpBackend[] = [];
  return {
    url: server.url,
    docId,
    dir,
    backend(options = {}) {
      const backend = new GristHttpBackend({ url: server.url, docId, apiKey: TEST_API_KEY, ...options });
      backends.push(backend);
      return backend;
    },
    async close() {
      await Promise.all(backends.map((b) => b.close()));
      await server.close();
      await docs.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
