/**
 * Assembles the gateway's long-lived services from a loaded config: backends, agents, the session store,
 * logger and limits. Everything an entry point needs except the HTTP app: the stdio MCP server
 * (`grist-gateway mcp`) uses these alone, so it never loads hono, the HTTP transports or prom-client, and
 * answers `initialize` sooner. {@link createGateway} (`gateway.ts`) adds the HTTP app on top.
 */
import { AgentRegistry, DEFAULT_MAX_SESSIONS_PER_AGENT, SessionManager, openSessionStore, type SessionStore } from './auth/index.js';
import { BackendPool, defaultBackendFactory, type BackendFactory } from './backends/pool.js';
import type { GatewayConfig } from './config/index.js';
import { checkEmbeddedPaths } from './config/embedded-paths.js';
import { defaultLimits, type GatewayLimits, type GatewayServices } from './context.js';
import { silentLogger, type Logger } from './log.js';

/** Options of {@link createGatewayServices}. */
export interface GatewayServicesOptions {
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
}

/** The services, and how to release what they hold (session store connections, open documents). */
export interface AssembledServices {
  services: GatewayServices;
  close(): Promise<void>;
}

/** Reads the public base URL from the environment (the new name first, then grist-mcp's). */
export function publicUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.GRIST_GATEWAY_PUBLIC_URL ?? env.GRIST_MCP_URL;
  return value ? value.replace(/\/+$/, '') : undefined;
}

/**
 * Builds the services from a config. Throws (an Error naming the file) when an embedded document's path or
 * the config's SQLite session store cannot be used; a Redis store that is down is retried in the background.
 */
export function createGatewayServices(config: GatewayConfig, options: GatewayServicesOptions = {}): AssembledServices {
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
  return {
    services,
    async close() {
      await Promise.allSettled([sessions.close(), backends.close()]);
    },
  };
}
