/**
 * Agent-level methods (permission `agent`: they need the agent's own token, a session token is never
 * enough): list_documents, request_session_token, revoke_session_token, get_proxy_documentation.
 */
import { z } from 'zod';
import { defineMethod } from '../define.js';
import { permissions } from '../permissions.js';
import { proxyDocumentation } from '../proxy-docs-schema.js';

/** A document permission as a request or result field. */
const permissionField = z.enum(permissions).describe('read (data), write (records) or schema (tables, columns).');

/**
 * A table/column scope: table id -> "*" (every column) or a list of column ids. Hidden tables and columns
 * do not exist for a token holding it.
 */
export const tablesScope = z
  .record(
    z.string().min(1),
    z.union([z.literal('*'), z.array(z.string().min(1)).min(1)]).describe('"*" for every column, or a list of column ids.'),
  )
  .describe('Tables the token may use: {"Orders": "*", "Customers": ["Name", "City"]}.');

/** Shortest and longest lifetime of a session token, in seconds. */
export const SESSION_TTL = { min: 1, max: 3600, default: 300 } as const;

/** list_documents: the documents this agent may use. */
export const listDocuments = defineMethod({
  name: 'list_documents',
  permission: 'agent',
  title: 'List documents',
  summary: 'List the documents this agent can use, with its permissions on each.',
  description: 'Lists your documents and permissions.',
  input: z.object({}),
  output: z.object({
    documents: z
      .array(
        z.object({
          name: z.string().describe('Document name, used as `document` in other calls.'),
          permissions: z.array(permissionField).describe('What this agent may do with the document.'),
          tables: tablesScope.optional().describe('Tables and columns this agent may use there (absent: every table).'),
        }),
      )
      .describe('The documents this agent can use.'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  example: { method: 'list_documents' },
  exampleResult: { documents: [{ name: 'sales', permissions: ['read', 'write'] }] },
});

/** request_session_token: a short-lived token for scripts. */
export const requestSessionToken = defineMethod({
  name: 'request_session_token',
  permission: 'agent',
  title: 'Request session token',
  summary: 'Get a short-lived token that lets a script use one document through the JSON proxy.',
  description:
    'For bulk work: a short-lived token for a script using one document via the JSON proxy ' +
    '(see get_proxy_documentation). Returns {token, proxy_url, ...}. Example: ' +
    '{"document":"sales","permissions":["read"]}',
  input: z.object({
    document: z.string().min(1).describe('Document name.'),
    permissions: z.array(permissionField).min(1).describe('A subset of yours there.'),
    ttl_seconds: z
      .int()
      .min(SESSION_TTL.min)
      .max(SESSION_TTL.max)
      .default(SESSION_TTL.default)
      .describe('Lifetime in seconds.'),
    tables: tablesScope
      .optional()
      .describe('Narrower table/column scope.'),
  }),
  output: z.object({
    token: z.string().describe('The session token: send it as "Authorization: Bearer <token>".'),
    document: z.string().describe('The document the token is bound to.'),
    permissions: z.array(permissionField).describe('The permissions the token grants.'),
    tables: tablesScope.optional().describe('The tables and columns the token may use (absent: every table).'),
    expires_at: z.string().describe('When the token expires (ISO 8601, UTC).'),
    proxy_url: z.string().describe('URL of the JSON proxy (absolute when the server knows its public URL).'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  example: { method: 'request_session_token', document: 'sales', permissions: ['read', 'write'], ttl_seconds: 600 },
  exampleResult: {
    token: 'sess_0123456789abcdef',
    document: 'sales',
    permissions: ['read', 'write'],
    expires_at: '2026-01-01T12:10:00.000Z',
    proxy_url: 'https://gateway.example.com/api/v1/proxy',
  },
});

/** revoke_session_token: end a session token early. */
export const revokeSessionToken = defineMethod({
  name: 'revoke_session_token',
  permission: 'agent',
  title: 'Revoke session token',
  summary: 'Revoke a session token this agent created, before it expires.',
  description: 'Ends a session token you minted.',
  input: z.object({
    token: z.string().min(1).describe('The session token.'),
  }),
  output: z.object({
    revoked: z.boolean().describe('true when the token was active and is now revoked.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  example: { method: 'revoke_session_token', token: 'sess_0123456789abcdef' },
  exampleResult: { revoked: true },
});

/** get_proxy_documentation: how to use the JSON proxy from a script. */
export const getProxyDocumentation = defineMethod({
  name: 'get_proxy_documentation',
  permission: 'agent',
  title: 'Get proxy documentation',
  summary: 'Documentation of the JSON proxy: endpoints, methods, fields, errors, example scripts.',
  description:
    'How scripts call the JSON proxy, with Python and TypeScript examples.',
  input: z.object({}),
  output: proxyDocumentation,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  example: { method: 'get_proxy_documentation' },
  exampleResult: {
    description: 'HTTP proxy for scripts doing bulk work.',
    proxy_url: 'https://gateway.example.com/api/v1/proxy',
    openapi_url: 'https://gateway.example.com/api/v1/openapi.json',
    endpoints: { proxy: 'POST https://gateway.example.com/api/v1/proxy - JSON operations' },
    authentication: 'Header "Authorization: Bearer <token>" with the session token.',
    request_format: { method: 'The method name (required).' },
    response_format: {},
    methods: { list_tables: { description: 'List the ids of all tables in the document.', permission: 'read', fields: {}, result: ['tables'] } },
    paging: 'Pass next_cursor back as cursor until it is null.',
    error_codes: ['INVALID_TOKEN'],
    errors: { INVALID_TOKEN: '401: The bearer token is missing, malformed or unknown.' },
    example_script: '...',
    example_script_typescript: '...',
  },
});
