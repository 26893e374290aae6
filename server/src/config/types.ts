/** The validated, ready-to-use gateway configuration (see `load.ts` for the YAML format). */
import type { Permission } from '../auth/permissions.js';
import type { MetricsConfig } from '../observability/config.js';
import type { TableScope } from '../auth/scopes.js';

/** A document served from a real Grist server over its REST API. */
export interface GristDocumentConfig {
  kind: 'grist';
  /** Config name: what agents call the document and what scopes refer to. */
  name: string;
  /** Base URL of the Grist server, without trailing slash (e.g. `https://grist.example.com`). */
  url: string;
  /** Grist document id. */
  docId: string;
  /** Grist API key (secret: never log it). */
  apiKey: string;
  /** `Host` header to send instead of the URL's host (Docker networking). */
  hostHeader?: string;
  /** Byte budget of one bulk write request (`max_request_bytes`; Grist's JSON limit is 1 MB by default). */
  maxRequestBytes?: number;
}

/** A document held by the embedded SQLite engine. */
export interface EmbeddedDocumentConfig {
  kind: 'embedded';
  /** Config name: what agents call the document and what scopes refer to. */
  name: string;
  /** Absolute path of the `.grist` SQLite file (relative paths are resolved against the config folder). */
  path: string;
}

/** One entry of `documents:`. */
export type DocumentConfig = GristDocumentConfig | EmbeddedDocumentConfig;

/** One entry of `tokens:`: an agent, identified by the SHA-256 digest of its token. */
export interface AgentConfig {
  /** Agent name, unique within the config. */
  name: string;
  /** Lower-case hex SHA-256 digest of the agent token (the plain token is not kept). */
  tokenSha256: string;
  /** Permissions per document config name. Every set is non-empty. */
  scopes: Map<string, Set<Permission>>;
  /** Table/column scope per document config name, for documents whose scope entry has `tables:` (others: every table). */
  tables?: Map<string, TableScope>;
}

/** `grist_api:`: serve the embedded documents over Grist's REST API. */
export interface GristApiConfig {
  /** API key clients must present (secret: never log it). */
  apiKey: string;
  /** Absolute folder holding the embedded documents served this way. */
  dataDir: string;
}

/**
 * `sessions:`: where session tokens are kept, so that every process using the config (or every
 * instance sharing a Redis) accepts the tokens any of them minted.
 */
export type SessionsConfig =
  | { store: 'sqlite'; /** Absolute path of the SQLite file. */ path: string; maxPerAgent: number }
  | { store: 'redis'; /** `redis://...` (secret: may hold a password; never log it). */ url: string; prefix?: string; maxPerAgent: number }
  | { store: 'memory'; maxPerAgent: number };

/** The whole configuration. */
export interface GatewayConfig {
  /** Where it was loaded from (absolute file path, or the `source` given to `parseConfig`). */
  source: string;
  /** Documents by config name, in file order. */
  documents: Map<string, DocumentConfig>;
  /** Agents in file order. */
  agents: AgentConfig[];
  /** Present when `grist_api:` is configured. */
  gristApi?: GristApiConfig;
  /**
   * The session store. `parseConfig` always sets it (default: a SQLite file next to the config file); a
   * config built in code without it gets the in-memory store.
   */
  sessions?: SessionsConfig;
  /** `public_url:`: the absolute base URL scripts reach the gateway at, without trailing slash. */
  publicUrl?: string;
  /** Present when `metrics:` turns GET /metrics on (see observability/config.ts). */
  metrics?: MetricsConfig;
  /** `allowed_origins:` browser origins accepted on `/mcp` and `/sse` (absent: loopback origins only). */
  allowedOrigins?: string[];
}
