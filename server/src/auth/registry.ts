/**
 * The agents of the config and how a presented agent token is matched to one of them.
 * Only SHA-256 digests of agent tokens are held; matching compares digests in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { AgentConfig } from '../config/types.js';
import type { Permission } from './permissions.js';
import { sortPermissions } from './permissions.js';
import type { TableScope } from './scopes.js';
import { SESSION_TOKEN_PREFIX, sha256Bytes } from './tokens.js';

/** An authenticated agent and what it may do on each document of its scope. */
export interface Agent {
  /** Agent name from the config (safe to log). */
  readonly name: string;
  /** Permissions per document config name (only documents in scope; every set non-empty). */
  readonly scopes: ReadonlyMap<string, ReadonlySet<Permission>>;
  /** True when the agent holds `permission` on `document`. */
  can(document: string, permission: Permission): boolean;
  /** The agent's permissions on `document` in canonical order (read, write, schema); empty outside scope. */
  permissionsFor(document: string): Permission[];
  /** The agent's table/column scope on `document`; undefined = every table (or outside its scope). */
  tablesFor(document: string): TableScope | undefined;
}

/** Builds the immutable {@link Agent} view of one config entry (copies the scopes). */
function makeAgent(config: AgentConfig): Agent {
  const scopes = new Map<string, ReadonlySet<Permission>>();
  for (const [document, perms] of config.scopes) scopes.set(document, new Set(perms));
  return Object.freeze({
    name: config.name,
    scopes: scopes as ReadonlyMap<string, ReadonlySet<Permission>>,
    can: (document: string, permission: Permission) => scopes.get(document)?.has(permission) === true,
    permissionsFor: (document: string) => sortPermissions(scopes.get(document) ?? []),
    tablesFor: (document: string) => config.tables?.get(document),
  });
}

/** The configured agents, looked up by their token. */
export class AgentRegistry {
  readonly #entries: { digest: Buffer; agent: Agent }[];
  readonly #byName = new Map<string, Agent>();

  /** @param agents the config's agents (digests must be 64 hex characters, as `parseConfig` guarantees). */
  constructor(agents: readonly AgentConfig[]) {
    this.#entries = agents.map((config) => {
      if (!/^[0-9a-fA-F]{64}$/.test(config.tokenSha256)) {
        throw new Error(`Agent "${config.name}": tokenSha256 must be 64 hex characters`);
      }
      const agent = makeAgent(config);
      this.#byName.set(agent.name, agent);
      return { digest: Buffer.from(config.tokenSha256, 'hex'), agent };
    });
  }

  /**
   * The agent whose token is `token`, or undefined. The presented token is hashed and its digest is
   * compared with every agent's digest using `timingSafeEqual`, without stopping at a match, so the
   * time taken does not depend on which agent (if any) matched or on how many digest bytes agree.
   * Empty tokens and session tokens (`sess_...`) are never agent tokens.
   */
  authenticate(token: string): Agent | undefined {
    if (typeof token !== 'string' || token === '' || token.startsWith(SESSION_TOKEN_PREFIX)) return undefined;
    const digest = sha256Bytes(token);
    let found: Agent | undefined;
    for (const entry of this.#entries) {
      // Both buffers are 32 bytes, so timingSafeEqual never throws here.
      const equal = timingSafeEqual(digest, entry.digest);
      if (equal && found === undefined) found = entry.agent;
    }
    return found;
  }

  /** The agent named `name`, if configured (for logs and admin tools; not an authentication). */
  get(name: string): Agent | undefined {
    return this.#byName.get(name);
  }

  /** Every agent, in config order. */
  list(): Agent[] {
    return this.#entries.map((e) => e.agent);
  }

  /** Number of agents. */
  get size(): number {
    return this.#entries.length;
  }
}
