/**
 * zod schemas of the raw config file (after YAML reading and `${VAR}` substitution, so every scalar is
 * a string or null). Each message is written to follow a path, as in `tokens[0].name: required`.
 * Cross-entry rules (unknown documents, duplicates, token XOR token_sha256) live in `parse.ts`.
 */
import { z } from 'zod';
import { PERMISSIONS } from '../auth/permissions.js';

/** How an unexpected value is described in a type message ("a list", "nothing", ...). */
function describe(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return 'text';
  return typeof input;
}

/** A required, non-empty text value. */
function text() {
  return z
    .string({ error: (iss) => (iss.input === undefined ? 'required' : iss.input === null ? 'is empty' : `must be text, not ${describe(iss.input)}`) })
    .min(1, 'is empty');
}

/** A mapping that rejects unknown keys, naming the allowed ones. */
function mapping<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') return `unknown key (allowed: ${allowed})`;
      if (iss.code === 'invalid_type') return iss.input === undefined ? 'required' : `must be a mapping, not ${describe(iss.input)}`;
      return undefined;
    },
  });
}

/** A non-empty list. */
function list<T extends z.ZodType>(item: T) {
  return z
    .array(item, { error: (iss) => (iss.input === undefined ? 'required' : `must be a list, not ${describe(iss.input)}`) })
    .min(1, 'must not be empty');
}

/** `read`, `write` or `schema`. */
export const permissionSchema = z.enum(PERMISSIONS as ['read', 'write', 'schema'], {
  error: (iss) => `${JSON.stringify(iss.input ?? null)} is not one of ${PERMISSIONS.join(', ')}`,
});

/** Strips credentials from a URL before it is echoed in a message. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

/** True for an absolute http(s) URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

const urlSchema = text().refine(isHttpUrl, {
  error: (iss) => `${JSON.stringify(redactUrl(String(iss.input)))} is not a valid http(s) URL`,
});

/** A document on a real Grist server (the Python grist-mcp format, plus an optional `engine: grist`). */
export const gristDocumentSchema = mapping({
  engine: z.literal('grist').optional(),
  url: urlSchema,
  doc_id: text(),
  api_key: text(),
  // The Python format allows an empty/null host_header, meaning "no override".
  host_header: z.string({ error: (iss) => `must be text, not ${describe(iss.input)}` }).nullable().optional(),
  // Byte budget of one bulk write request to this Grist (its JSON body limit is 1 MB unless raised).
  max_request_bytes: text()
    .regex(/^\d+$/, 'must be a whole number of bytes')
    .refine((v) => Number(v) >= 16_384 && Number(v) <= 1_073_741_824, 'must be between 16384 and 1073741824')
    .optional(),
});

/** A document held by the embedded engine. */
export const embeddedDocumentSchema = mapping({
  engine: z.literal('embedded'),
  path: text(),
});

/** The columns of one table in `tables:`: `"*"` or a non-empty list of column ids. */
const columnSelectionSchema = z.union([z.literal('*'), list(text())], {
  error: (iss) =>
    iss.input === undefined || iss.input === null
      ? 'is empty; give "*" (every column) or a list of column ids'
      : `must be "*" (every column) or a list of column ids, not ${typeof iss.input === 'string' ? JSON.stringify(iss.input) : describe(iss.input)}`,
});

/** `tables:` of a scope entry: table id -> columns. Absent = every table of the document. */
export const tablesSchema = z
  .record(z.string().min(1, 'a table id must not be empty'), columnSelectionSchema, {
    error: (iss) => `must be a mapping of table ids to "*" or a list of column ids, not ${describe(iss.input)}`,
  })
  .refine((tables) => Object.keys(tables).length > 0, 'must not be empty (leave tables out to allow every table)');

/** One `scope` entry of a token. */
export const scopeEntrySchema = mapping({
  document: text(),
  permissions: list(permissionSchema),
  tables: tablesSchema.optional(),
});

/** One `tokens` entry. Exactly one of token/token_sha256 is enforced in `parse.ts`. */
export const tokenEntrySchema = mapping({
  token: text().optional(),
  token_sha256: text()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (the SHA-256 digest of the token)')
    .optional(),
  name: text(),
  scope: list(scopeEntrySchema),
});

/** `grist_api:`. */
export const gristApiSchema = mapping({
  api_key: text(),
  data_dir: text(),
});

/** `sessions:`. Which keys go with which store is checked in `parse.ts`. */
export const sessionsSchema = mapping({
  store: z
    .enum(['sqlite', 'memory', 'redis'], { error: (iss) => `${JSON.stringify(iss.input ?? null)} is not one of sqlite, memory, redis` })
    .optional(),
  path: text().optional(),
  url: text().optional(),
  prefix: text().optional(),
  max_per_agent: text()
    .regex(/^[1-9][0-9]{0,6}$/, 'must be a whole number from 1 to 9999999')
    .optional(),
});

/** `public_url:`: an absolute http(s) URL. */
export const publicUrlSchema = urlSchema;

/** The top level; entries are validated one by one so each problem gets its own path. */
export const rootSchema = mapping({
  documents: z
    .record(z.string(), z.unknown(), {
      error: (iss) => `must be a mapping of document names to documents, not ${describe(iss.input)}`,
    })
    .optional(),
  tokens: z.array(z.unknown(), { error: (iss) => `must be a list, not ${describe(iss.input)}` }).optional(),
  grist_api: z.unknown().optional(),
  sessions: z.unknown().optional(),
  public_url: z.unknown().optional(),
  metrics: z.unknown().optional(),
  allowed_origins: z.unknown().optional(),
});
