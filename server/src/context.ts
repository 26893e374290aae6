/**
 * The tRPC context: who is calling and what they may do, plus the gateway's services.
 *
 * Split as tRPC's examples do: {@link createContextInner} takes already-resolved facts and is what tests,
 * the MCP server and the JSON proxy use; {@link contextFromBearer} resolves a bearer token first (async: a
 * session token is looked up in the shared session store). Neither throws: a bad token, or a session store
 * that cannot be asked, becomes `authFailure`, and the procedure middleware decides what that means.
 */
import type { Permission } from '@grist-gateway/shared';
import type { Agent, AgentRegistry, Session, SessionManager } from './auth/index.js';
import type { ScopeLayers } from './auth/scopes.js';
import { SESSION_TOKEN_PREFIX } from './auth/tokens.js';
import type { DocBackend } from './backend/types.js';
import { limits } from './limits/index.js';
import type { Logger } from './log.js';
import type { GatewayMetrics } from './observability/metrics.js';

/** Where the backend of each configured document comes from. */
export interface DocumentBackends {
  /** Names of the configured documents. */
  names(): string[];
  /** The document's backend; throws a 404 GristError naming the document when it is not configured. */
  get(name: string): DocBackend;
}

/** Limits applied to every call, whatever the entry point. */
export interface GatewayLimits {
  /** Most records one write call may carry. */
  maxRecordsPerWrite: number;
  /** Default and maximum page size of `get_records` when a cursor is used. */
  defaultPageSize: number;
}

/** Long-lived parts of the gateway, shared by every request. */
export interface GatewayServices {
  backends: DocumentBackends;
  agents: AgentRegistry;
  sessions: SessionManager;
  logger: Logger;
  limits: GatewayLimits;
  /**
   * Absolute base URL scripts should use, without trailing slash (`GRIST_GATEWAY_PUBLIC_URL` /
   * `GRIST_MCP_URL`, else `public_url:` in the config, else where `serve` listens). Unknown in a stdio
   * process with none of these set.
   */
  publicUrl?: string;
  /** Prometheus metrics of calls, when `metrics:` is on in the config. */
  metrics?: GatewayMetrics;
}

/** The default {@link GatewayLimits}. */
export const defaultLimits: GatewayLimits = { maxRecordsPerWrite: limits.maxRecordsPerWrite, defaultPageSize: limits.defaultPageSize };

/** What a caller may do on one document: from a session token, or from an agent acting on a document. */
export interface Grant {
  /** Config name of the document. */
  document: string;
  /** Permissions held on it. */
  permissions: ReadonlySet<Permission>;
  /** Name of the agent behind the call (for logs; never a token). */
  principal: string;
  /** How the grant was obtained. */
  via: 'session' | 'agent';
  /** Table/column scopes the grant is limited by (all must allow); absent = every table of the document. */
  tables?: ScopeLayers;
}

/**
 * Why a presented token was not accepted. `UNAVAILABLE`: the session store could not be asked (503), the
 * token itself may be fine.
 */
export interface AuthFailure {
  code: 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'UNAVAILABLE';
  message: string;
}

/** The context every procedure receives. */
export interface Context {
  services: GatewayServices;
  /** The agent, when an agent token was presented. */
  agent: Agent | null;
  /** The document grant (session token, or agent + chosen document on MCP). */
  grant: Grant | null;
  /** Set when a token was presented but refused. */
  authFailure: AuthFailure | null;
  /** Which entry point the call came through (for logs). */
  entry: 'trpc' | 'proxy' | 'mcp' | 'internal';
}

/** Builds a context from resolved facts (tests, MCP, in-process callers). */
export function createContextInner(options: {
  services: GatewayServices;
  agent?: Agent | null;
  grant?: Grant | null;
  authFailure?: AuthFailure | null;
  entry?: Context['entry'];
}): Context {
  return {
    services: options.services,
    agent: options.agent ?? null,
    grant: options.grant ?? null,
    authFailure: options.authFailure ?? null,
    entry: options.entry ?? 'internal',
  };
}

/** The grant an agent has on one document (MCP tools act this way), or null when outside its scope. */
export function agentGrant(agent: Agent, document: string): Grant | null {
  const permissions = agent.permissionsFor(document);
  if (permissions.length === 0) return null;
  const tables = agent.tablesFor(document);
  return { document, permissions: new Set(permissions), principal: agent.name, via: 'agent', ...(tables ? { tables: [tables] } : {}) };
}

/** Extracts the token of an `Authorization: Bearer <token>` header value. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Grants of sessions already seen: a session (frozen, reused while its record is unchanged) always gives the same grant. */
const sessionGrants = new WeakMap<Session, Grant>();

/** The (read-only, shared) grant of a session. */
function sessionGrant(session: Session): Grant {
  let grant = sessionGrants.get(session);
  if (grant === undefined) {
    grant = Object.freeze({
      document: session.document,
      permissions: new Set(session.permissions),
      principal: session.agentName,
      via: 'session',
      ...(session.tables ? { tables: session.tables } : {}),
    });
    sessionGrants.set(session, grant);
  }
  return grant;
}

/**
 * Resolves a bearer token: `sess_...` against the session store, anything else against the agents.
 * Never throws; a refused token is reported in `authFailure` with a message that shows no token.
 */
export async function contextFromBearer(services: GatewayServices, token: string | undefined, entry: Context['entry']): Promise<Context> {
  if (!token) {
    return createContextInner({
      services,
      entry,
      authFailure: { code: 'INVALID_TOKEN', message: 'Missing token: send "Authorization: Bearer <token>"' },
    });
  }
  if (token.startsWith(SESSION_TOKEN_PREFIX)) {
    const resolved = await services.sessions.resolve(token);
    if (!resolved.ok) return createContextInner({ services, entry, authFailure: { code: resolved.code, message: resolved.message } });
    return createContextInner({ services, entry, grant: sessionGrant(resolved.session) });
  }
  const agent = services.agents.authenticate(token);
  if (!agent) return createContextInner({ services, entry, authFailure: { code: 'INVALID_TOKEN', message: 'Invalid token' } });
  return createContextInner({ services, entry, agent });
}
