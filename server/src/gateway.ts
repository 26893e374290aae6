/**
 * Assembles a running gateway from a loaded config: backends, agents, sessions, logger, the HTTP app.
 * The CLI, the tests and the benchmark all start the gateway through {@link createGateway}.
 */
import type { Hono } from 'hono';
import { AgentRegistry, SessionStore } from './auth/index.js';
import { BackendPool, defaultBackendFactory, type BackendFactory } from './backends/pool.js';
import type { GatewayConfig } from './config/index.js';
import { checkEmbeddedPaths } from './config/embedded-paths.js';
import { defaultLimits, type GatewayLimits, type GatewayServices } from './context.js';
import { createApp, type AppOptions } from './http/app.js';
import { silentLogger, type Logger } from './log.js';
import { mountMcp } from './mcp/http.js';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  logger?: Logger;
  /** Absolute base URL scripts should use (else the `GRIST_GATEWAY_PUBLIC_URL` / `GRIST_MCP_URL` env). */
  publicUrl?: string;
  limits?: Partial<GatewayLimits>;
  /** How a document's backend is opened (the HTTP backend plugs in here). */
  backendFactory?: BackendFactory;
  /** Session clock, for tests. */
  now?: () => number;
  app?: AppOptions;
}

/** A gateway: its services, its HTTP app, and how to shut it down. */
export interface Gateway {
  services: GatewayServices;
  app: Hono;
  close(): Promise<void>;
}

/** Reads the public base URL from the environment (the new name first, then grist-mcp's). */
export function publicUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.GRIST_GATEWAY_PUBLIC_URL ?? env.GRIST_MCP_URL;
  return value ? value.replace(/\/+$/, '') : undefined;
}

/** Builds a gateway from a config. */
export function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Gateway {
  checkEmbeddedPaths(config);
  const logger = options.logger ?? silentLogger();
  const backends = new BackendPool(config.documents, logger, options.backendFactory ?? defaultBackendFactory);
  const sessions = new SessionStore(options.now ? { now: options.now } : {});
  const services: GatewayServices = {
    backends,
    agents: new AgentRegistry(config.agents),
    sessions,
    logger,
    limits: { ...defaultLimits, ...options.limits },
    publicUrl: (options.publicUrl ?? publicUrlFromEnv())?.replace(/\/+$/, ''),
  };
  const app = createApp(services, {
    ...(config.allowedOrigins ? { allowedOrigins: config.allowedOrigins } : {}),
    ...options.app,
    mount: (hono) => {
      mountMcp(hono, services);
      options.app?.mount?.(hono);
    },
  });
  return {
    services,
    app,
    async close() {
      sessions.close();
      await backends.close();
    },
  };
}
