/**
 * Turns config text into a {@link GatewayConfig}: YAML -> `${VAR}` substitution -> zod validation of
 * every entry -> cross-entry rules. Every problem is collected (each with its path) and reported
 * together in one {@link ConfigError}, so a user fixes the whole file in one pass.
 */
import path from 'node:path';
import type { z } from 'zod';
import type { Permission } from '../auth/permissions.js';
import { sortPermissions } from '../auth/permissions.js';
import { DEFAULT_MAX_SESSIONS_PER_AGENT } from '../auth/sessions.js';
import { scopeFromMapping, type TableScope } from '../auth/scopes.js';
import { SESSION_TOKEN_PREFIX, sha256Hex } from '../auth/tokens.js';
import { substituteEnv } from './env.js';
import { ConfigError } from './errors.js';
import { formatPath, problemAt } from './paths.js';
import type { PathSegment } from './paths.js';
import { parseMetricsConfig } from '../observability/config.js';
import { embeddedDocumentSchema, gristApiSchema, gristDocumentSchema, publicUrlSchema, rootSchema, sessionsSchema, tokenEntrySchema } from './schema.js';
import type { AgentConfig, DocumentConfig, GatewayConfig, GristApiConfig, SessionsConfig } from './types.js';
import { readYaml } from './yaml.js';
import { invalidOrigins } from '../http/origin.js';
import type { YamlTree } from './yaml.js';

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Variables for `${VAR}` substitution (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Folder that relative paths (`path`, `data_dir`) are resolved against: the config file's folder. */
  baseDir: string;
  /** Label of the text in errors and in `GatewayConfig.source` (default `<config>`). */
  source?: string;
}

/** Collects problems, dropping those about values whose `${VAR}` could not be substituted (already reported). */
class Problems {
  readonly list: string[] = [];
  constructor(private readonly unresolved: ReadonlySet<string>) {}

  add(at: readonly PathSegment[], message: string): void {
    this.list.push(problemAt(at, message));
  }

  /** Adds every zod issue, under `base`; unknown keys become one problem per key, at the key's path. */
  addZod(base: readonly PathSegment[], error: z.ZodError): void {
    for (const issue of error.issues) {
      const at: PathSegment[] = [...base, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) this.add([...at, key], issue.message);
        continue;
      }
      if (this.unresolved.has(formatPath(at))) continue;
      this.add(at, issue.message);
    }
  }
}

/** True for a YAML mapping. */
function isMapping(node: YamlTree | undefined): node is { [key: string]: YamlTree } {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}

/** Removes trailing slashes so `${url}/api/...` never has `//`. */
function trimSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Validates one `documents:` entry; returns it, or undefined after adding problems. */
function parseDocument(
  name: string,
  node: YamlTree | undefined,
  baseDir: string,
  problems: Problems,
): DocumentConfig | undefined {
  const at: PathSegment[] = ['documents', name];
  if (!isMapping(node)) {
    problems.add(at, 'must be a Grist document (url, doc_id, api_key) or an embedded one (engine: embedded, path)');
    return undefined;
  }
  const engine = node.engine;
  if (engine === 'embedded') {
    const parsed = embeddedDocumentSchema.safeParse(node);
    if (!parsed.success) {
      problems.addZod(at, parsed.error);
      return undefined;
    }
    return { kind: 'embedded', name, path: path.resolve(baseDir, parsed.data.path) };
  }
  if (engine !== undefined && engine !== 'grist') {
    problems.add([...at, 'engine'], `${JSON.stringify(engine)} is not one of grist, embedded`);
    return undefined;
  }
  if (engine === undefined && !('url' in node) && !('doc_id' in node) && !('api_key' in node)) {
    const hint = 'path' in node ? ' (an embedded document needs "engine: embedded")' : '';
    problems.add(at, `is neither a Grist document (url, doc_id, api_key) nor an embedded one (engine: embedded, path)${hint}`);
    return undefined;
  }
  const parsed = gristDocumentSchema.safeParse(node);
  if (!parsed.success) {
    problems.addZod(at, parsed.error);
    return undefined;
  }
  const d = parsed.data;
  const doc: DocumentConfig = { kind: 'grist', name, url: trimSlashes(d.url), docId: d.doc_id, apiKey: d.api_key };
  if (d.host_header) doc.hostHeader = d.host_header;
  if (d.max_request_bytes !== undefined) doc.maxRequestBytes = Number(d.max_request_bytes);
  return doc;
}

/** Validates `tokens:` (each entry, then duplicates and scope documents); returns the valid agents. */
function parseTokens(
  nodes: readonly YamlTree[],
  documents: ReadonlyMap<string, DocumentConfig>,
  declared: readonly string[],
  unresolved: ReadonlySet<string>,
  problems: Problems,
): AgentConfig[] {
  const agents: AgentConfig[] = [];
  const digestOwner = new Map<string, number>();
  const nameOwner = new Map<string, number>();
  const known = declared.length > 0 ? declared.join(', ') : 'none';

  nodes.forEach((node, i) => {
    const at: PathSegment[] = ['tokens', i];
    const parsed = tokenEntrySchema.safeParse(node);
    if (!parsed.success) {
      problems.addZod(at, parsed.error);
      // Still check what can be checked below (names, documents) when the entry is a mapping.
    }
    const raw = isMapping(node) ? node : undefined;
    let ok = parsed.success;

    // Exactly one of token / token_sha256.
    const hasToken = raw !== undefined && raw.token !== undefined;
    const hasDigest = raw !== undefined && raw.token_sha256 !== undefined;
    if (raw !== undefined && hasToken === hasDigest) {
      problems.add(
        at,
        hasToken
          ? 'has both token and token_sha256; keep only one'
          : 'needs token (the secret) or token_sha256 (its SHA-256 digest, 64 hex characters)',
      );
      ok = false;
    }

    // Session-token prefix is reserved, or a session token could be mistaken for an agent token.
    if (typeof raw?.token === 'string' && raw.token.startsWith(SESSION_TOKEN_PREFIX)) {
      problems.add([...at, 'token'], `must not start with "${SESSION_TOKEN_PREFIX}" (reserved for session tokens)`);
      ok = false;
    }

    // Duplicate secrets, also between a plain token and the digest of the same token.
    let digest: string | undefined;
    if (hasToken !== hasDigest) {
      if (typeof raw?.token === 'string' && raw.token !== '' && !unresolved.has(formatPath([...at, 'token']))) {
        digest = sha256Hex(raw.token);
      } else if (typeof raw?.token_sha256 === 'string' && /^[0-9a-fA-F]{64}$/.test(raw.token_sha256)) {
        digest = raw.token_sha256.toLowerCase();
      }
    }
    if (digest !== undefined) {
      const first = digestOwner.get(digest);
      if (first !== undefined) {
        problems.add([...at, hasToken ? 'token' : 'token_sha256'], `same token as tokens[${first}] (every agent needs its own token)`);
        ok = false;
      } else {
        digestOwner.set(digest, i);
      }
    }

    // Duplicate names.
    if (typeof raw?.name === 'string' && raw.name !== '') {
      const first = nameOwner.get(raw.name);
      if (first !== undefined) {
        problems.add([...at, 'name'], `duplicate name ${JSON.stringify(raw.name)} (also tokens[${first}])`);
        ok = false;
      } else {
        nameOwner.set(raw.name, i);
      }
    }

    // Scope documents must exist, once each.
    const scopes = new Map<string, Set<Permission>>();
    const scopeNodes = Array.isArray(raw?.scope) ? raw.scope : [];
    const seenIn = new Map<string, number>();
    scopeNodes.forEach((entry, j) => {
      if (!isMapping(entry) || typeof entry.document !== 'string' || entry.document === '') return;
      const docAt: PathSegment[] = [...at, 'scope', j, 'document'];
      if (unresolved.has(formatPath(docAt))) return;
      const document = entry.document;
      if (!documents.has(document)) {
        // A declared but invalid document already has its own problem; don't blame the scope for it.
        if (!declared.includes(document)) {
          problems.add(docAt, `unknown document ${JSON.stringify(document)} (known: ${known})`);
        }
        ok = false;
        return;
      }
      const earlier = seenIn.get(document);
      if (earlier !== undefined) {
        problems.add(docAt, `document ${JSON.stringify(document)} is already listed in tokens[${i}].scope[${earlier}]; merge the permissions there`);
        ok = false;
        return;
      }
      seenIn.set(document, j);
    });

    if (!ok || !parsed.success || digest === undefined) return;
    const tables = new Map<string, TableScope>();
    for (const entry of parsed.data.scope) {
      scopes.set(entry.document, new Set(sortPermissions(entry.permissions)));
      if (entry.tables) tables.set(entry.document, scopeFromMapping(entry.tables));
    }
    agents.push({ name: parsed.data.name, tokenSha256: digest, scopes, ...(tables.size > 0 ? { tables } : {}) });
  });
  return agents;
}

/** Live session tokens per agent when `sessions.max_per_agent` is not set. */
const DEFAULT_MAX_PER_AGENT = DEFAULT_MAX_SESSIONS_PER_AGENT;

/**
 * The default SQLite file of the session store: next to the config file, named after it
 * (`grist-gateway.yaml` -> `grist-gateway.sessions.sqlite`), so every process using that config shares it.
 */
export function defaultSessionsPath(source: string, baseDir: string): string {
  const stem = path.isAbsolute(source) ? path.basename(source, path.extname(source)) : 'grist-gateway';
  return path.join(baseDir, `${stem}.sessions.sqlite`);
}

/** Validates `sessions:` (absent: the SQLite default); returns it, or undefined after adding problems. */
function parseSessions(node: YamlTree | undefined, source: string, baseDir: string, problems: Problems): SessionsConfig | undefined {
  if (node === undefined || node === null) return { store: 'sqlite', path: defaultSessionsPath(source, baseDir), maxPerAgent: DEFAULT_MAX_PER_AGENT };
  const parsed = sessionsSchema.safeParse(node);
  if (!parsed.success) {
    problems.addZod(['sessions'], parsed.error);
    return undefined;
  }
  const s = parsed.data;
  const store = s.store ?? 'sqlite';
  const maxPerAgent = s.max_per_agent !== undefined ? Number(s.max_per_agent) : DEFAULT_MAX_PER_AGENT;
  const before = problems.list.length;
  const only = (key: 'path' | 'url' | 'prefix', owner: string): void => {
    if (s[key] !== undefined && store !== owner) problems.add(['sessions', key], `only applies to store: ${owner} (this store is ${store})`);
  };
  only('path', 'sqlite');
  only('url', 'redis');
  only('prefix', 'redis');
  if (store === 'redis') {
    if (s.url === undefined) problems.add(['sessions', 'url'], 'required for store: redis (e.g. redis://127.0.0.1:6379/0)');
    else if (!/^rediss?:\/\/[^\s]+$/.test(s.url) || !URL.canParse(s.url)) problems.add(['sessions', 'url'], 'must be a redis:// or rediss:// URL');
  }
  if (problems.list.length > before) return undefined;
  if (store === 'memory') return { store, maxPerAgent };
  if (store === 'redis') return { store, url: s.url!, maxPerAgent, ...(s.prefix !== undefined ? { prefix: s.prefix } : {}) };
  return { store, path: s.path !== undefined ? path.resolve(baseDir, s.path) : defaultSessionsPath(source, baseDir), maxPerAgent };
}

/** `allowed_origins:` a list of origins (`https://host[:port]`, the port may be `*`). */
function parseAllowedOrigins(node: YamlTree | undefined, problems: Problems): string[] | undefined {
  if (node === undefined || node === null) return undefined;
  if (!Array.isArray(node)) {
    problems.add(['allowed_origins'], 'must be a list of origins like https://app.example.com');
    return undefined;
  }
  const out: string[] = [];
  node.forEach((entry, i) => {
    if (typeof entry !== 'string' || invalidOrigins([entry]).length > 0) {
      problems.add(['allowed_origins', i], `${JSON.stringify(entry)} is not an origin like https://app.example.com or http://localhost:*`);
    } else out.push(entry);
  });
  return out;
}

/**
 * Parses and validates config text. Throws {@link ConfigError} listing every problem (YAML syntax,
 * unset variables, invalid or unknown fields, unknown documents in scopes, duplicate tokens or names).
 * Plain agent tokens are replaced by their SHA-256 digests and not kept.
 */
export function parseConfig(text: string, options: ParseConfigOptions): GatewayConfig {
  const source = options.source ?? '<config>';
  const env = options.env ?? process.env;
  const baseDir = path.resolve(options.baseDir);

  const yaml = readYaml(text);
  if (!yaml.ok) throw new ConfigError(source, yaml.problems);

  const substituted = substituteEnv(yaml.value, env);
  const problems = new Problems(substituted.unresolved);
  problems.list.push(...substituted.problems);
  const tree = substituted.value;

  const root = rootSchema.safeParse(tree ?? undefined);
  if (tree === null) {
    problems.add([], 'the file is empty (expected documents: and tokens:)');
  } else if (!root.success) {
    problems.addZod([], root.error);
  }
  const top = isMapping(tree) ? tree : {};

  // documents (null or absent: none, as an empty mapping would be)
  const documents = new Map<string, DocumentConfig>();
  const declared = isMapping(top.documents) ? Object.keys(top.documents) : [];
  for (const name of declared) {
    const doc = parseDocument(name, (top.documents as { [key: string]: YamlTree })[name], baseDir, problems);
    if (doc) documents.set(name, doc);
  }

  const agents = Array.isArray(top.tokens)
    ? parseTokens(top.tokens, documents, declared, substituted.unresolved, problems)
    : [];

  let gristApi: GristApiConfig | undefined;
  if (top.grist_api !== undefined) {
    const parsed = gristApiSchema.safeParse(top.grist_api ?? undefined);
    if (parsed.success) {
      gristApi = { apiKey: parsed.data.api_key, dataDir: path.resolve(baseDir, parsed.data.data_dir) };
    } else {
      problems.addZod(['grist_api'], parsed.error);
    }
  }

  const sessions = parseSessions(top.sessions, source, baseDir, problems);

  let publicUrl: string | undefined;
  if (top.public_url !== undefined && top.public_url !== null && !substituted.unresolved.has('public_url')) {
    const parsed = publicUrlSchema.safeParse(top.public_url);
    if (parsed.success) publicUrl = trimSlashes(parsed.data);
    else problems.addZod(['public_url'], parsed.error);
  }

  const metrics = parseMetricsConfig(top.metrics);
  if (!metrics.ok) {
    if (typeof metrics.error === 'string') problems.add(['metrics'], metrics.error);
    else problems.addZod(['metrics'], metrics.error);
  }

  const allowedOrigins = parseAllowedOrigins(top.allowed_origins, problems);

  if (problems.list.length > 0 || !sessions) throw new ConfigError(source, problems.list);
  const config: GatewayConfig = { source, documents, agents, sessions };
  if (gristApi) config.gristApi = gristApi;
  if (publicUrl) config.publicUrl = publicUrl;
  if (metrics.ok && metrics.value) config.metrics = metrics.value;
  if (allowedOrigins) config.allowedOrigins = allowedOrigins;
  return config;
}
