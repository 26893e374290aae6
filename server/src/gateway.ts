/**
 * Assembles a running gateway from a loaded config: backends, agents, sessions, logger, the HTTP app.
 * The CLI, the tests and the benchmark all start the gateway through {@link createGateway}.
 */
import type { Hono } from 'hono';
import type { GatewayConfig } from './config/index.js';
import { createApp, type AppOptions } from './http/app.js';
import { mountMetrics } from './http/metrics.js';
import { mountMcp } from './mcp/http.js';
import { GatewayMetrics } from './observability/metrics.js';
import { createGatewayServices, publicUrlFromEnv, type GatewayServicesOptions } from './services.js';
import type { GatewayServices } from './context.js';

export { publicUrlFromEnv };

/** Options of {@link createGateway}: those of the services, and of the HTTP app. */
export interface GatewayOptions extends GatewayServicesOptions {
  app?: AppOptions;
}

/** A gateway: its services, its HTTP app, and how to shut it down. */
export interface Gateway {
  services: GatewayServices;
  app: Hono;
  close(): Promise<void>;
}

/**
 * Builds a gateway from a config. Throws (an Error naming the file) when the config's SQLite session store
 * cannot be created or written; a Redis store that is down is retried in the background instead.
 */
export function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Gateway {
  const { services, close } = createGatewayServices(config, options);
  if (config.metrics) services.metrics = new GatewayMetrics({ isDocument: (name) => config.documents.has(name) });
  const app = createApp(services, {
    ...(config.allowedOrigins ? { allowedOrigins: config.allowedOrigins } : {}),
    ...options.app,
    mount: (hono) => {
      mountMcp(hono, services);
      if (services.metrics && config.metrics) mountMetrics(hono, services.metrics, config.metrics);
      options.app?.mount?.(hono);
    },
  });
  return {
    services,
    app,
    close,
  };
}
