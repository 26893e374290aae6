/**
 * Assembles a running gateway from a loaded config: backends, agents, sessions, logger, the HTTP app.
 * The CLI, the tests and the benchmark all start the gateway through {@link createGateway}.
 */
import type { Hono } from 'hono';
import { AgentRegistry, DEFAULT_MAX_SESSIONS_PER_AGENT, SessionManager, openSessionStore, type SessionStore } from './auth/index.js';
import { BackendPool, defaultBackendFactory, type BackendFactory } from './backends/pool.js';
import type { GatewayConfig } from './config/index.js';
import { checkEmbeddedPaths } from './config/embedded-paths.js';
import { defaultLimits, type GatewayLimits, type GatewayServices } from './context.js';
import { createApp, type AppOptions } from './http/app.js';
import { silentLogger, type Logger } from './log.js';
import { mountMetrics } from './http/metrics.js';
import { mountMcp } from './mcp/http.js';
import { GatewayMetrics } from './observability/metrics.js';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  logger?: Logger;
  /**
   * Absolute base URL scripts should use (else the `GRIST_GATEWAY_PUBLIC_URL` / `GRIST_MCP_URL` env, else
   * `public_url:` of the config).
   */
  publicUrl?: string;
  limits?: Partial<GatewayLimits>;
  /** How a document's backend is opened (the HTTP backend plugs in here). */
  backendFactory?: BackendFactory;
  /** Session clock, for tests. */
  now?: () => number;
  /** A session store to use instead of the one the config names (tests). */
  sessionStore?: SessionStore;
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

/**
 * Builds a gateway from a config. Throws (an Error naming the file) when the config's SQLite session store
 * cannot be created or written; a Redis store that is down is retried in the background instead.
 */
export function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Gateway {
  checkEmbeddedPaths(config);
  const logger = options.logger ?? silentLogger();
  const sessionsConfig = config.sessions ?? { store: 'memory', maxPerAgent: DEFAULT_MAX_SESSIONS_PER_AGENT };
  const store = options.sessionStore ?? openSessionStore(sessionsConfig);
  const sessions = new SessionManager(store, {
    maxPerAgent: sessionsConfig.maxPerAgent,
    onStoreState: (available, reason) => {
      if (available) logger.info({ store: store.kind }, 'session store available again');
      else logger.warn({ store: store.kind, reason }, 'session store unavailable: session tokens cannot be minted or checked');
    },
    ...(options.now ? { now: options.now } : {}),
  });
  const backends = new BackendPool(config.documents, logger, options.backendFactory ?? defaultBackendFactory);
  const services: GatewayServices = {
    backends,
    agents: new AgentRegistry(config.agents),
    sessions,
    logger,
    limits: { ...defaultLimits, ...options.limits },
    publicUrl: (options.publicUrl ?? publicUrlFromEnv() ?? config.publicUrl)?.replace(/\/+$/, ''),
  };
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
    async close() {
      await Promise.allSettled([sessions.close(), backends.close()]);
    },
  };
}
