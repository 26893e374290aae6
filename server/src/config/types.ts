/** The validated, ready-to-use gateway configuration (see `load.ts` for the YAML format). */
import type { Permission } from '../auth/permissions.js';

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
}

/** `grist_api:`: serve the embedded documents over Grist's REST API. */
export interface GristApiConfig {
  /** API key clients must present (secret: never log it). */
  apiKey: string;
  /** Absolute folder holding the embedded documents served this way. */
  dataDir: string;
}

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
  /** `allowed_origins:` browser origins accepted on `/mcp` and `/sse` (absent: loopback origins only). */
  allowedOrigins?: string[];
}
