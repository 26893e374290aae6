/** Serves the Grist-compatible REST API on its own HTTP port (tests, `grist-gateway` standalone use). */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createGristApiApp } from './app.js';
import type { EmbeddedDocRegistry } from './registry.js';

/** Options of {@link startGristApiServer}. */
export interface GristApiServerOptions {
  /** TCP port; 0 picks any free port. */
  port: number;
  /** Interface to listen on (default loopback only). */
  host?: string;
  apiKey: string;
  docs: EmbeddedDocRegistry;
}

/** A running REST API server. */
export interface GristApiServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Stops listening (the registry stays open: its owner closes it). */
  close(): Promise<void>;
}

/** Starts the REST API server and resolves once it listens. */
export function startGristApiServer(options: GristApiServerOptions): Promise<GristApiServer> {
  const host = options.host ?? '127.0.0.1';
  const app = createGristApiApp({ apiKey: options.apiKey, docs: options.docs });
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: host }, (info: AddressInfo) => {
      const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${shownHost}:${info.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // Idle keep-alive connections would otherwise hold close() open.
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
    server.once('error', reject);
  });
}
