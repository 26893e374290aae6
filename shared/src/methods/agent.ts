/**
 * Agent-level methods (permission `agent`: they need the agent's own token, a session token is never
 * enough): list_documents, request_session_token, revoke_session_token, get_proxy_documentation.
 */
import { z } from 'zod';
import { defineMethod } from '../define.js';
import { permissions } from '../permissions.js';
import { proxyDocumentation } from '../proxy-docs-schema.js';

/** A document permission as a request or result field. */
const permissionField = z.enum(permissions).describe('"read" (data), "write" (records) or "schema" (tables and columns).');

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
  description:
    'Returns every document configured for this agent by name, with the permissions the agent holds on it. ' +
    'Pass the name as `document` to the data tools, or to request_session_token.\n' +
    'Example: {} -> {"documents": [{"name": "sales", "permissions": ["read", "write"]}]}',
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
    'Creates a session token bound to one document with some of the permissions this agent holds there, ' +
    'valid for ttl_seconds (default 300, at most 3600). Use it for bulk work: write a script that posts ' +
    'to proxy_url with "Authorization: Bearer <token>" (see get_proxy_documentation) instead of passing ' +
    'many rows through the conversation. Ask only for the permissions the script needs.\n' +
    'Example: {"document": "sales", "permissions": ["read", "write"], "ttl_seconds": 600}',
  input: z.object({
    document: z.string().min(1).describe('Document name, as listed by list_documents.'),
    permissions: z
      .array(permissionField)
      .min(1)
      .describe('Permissions for the token (non-empty subset of the agent\'s own), e.g. ["read"].'),
    ttl_seconds: z
      .int()
      .min(SESSION_TTL.min)
      .max(SESSION_TTL.max)
      .default(SESSION_TTL.default)
      .describe(`Lifetime in seconds (${SESSION_TTL.min} to ${SESSION_TTL.max}, default ${SESSION_TTL.default}).`),
    tables: tablesScope
      .optional()
      .describe('Limit the token to these tables and columns (within the agent\'s own); default: the agent\'s own scope.'),
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
  description:
    'Ends a session token at once (for example when a script is done). Only tokens created by this agent ' +
    'can be revoked. Returns revoked = false when the token was unknown, already expired or not this ' +
    'agent\'s.\nExample: {"token": "sess_0123456789abcdef"}',
  input: z.object({
    token: z.string().min(1).describe('The session token to revoke.'),
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
    'Returns the complete documentation of the HTTP JSON proxy that scripts use with a session token: ' +
    'endpoints, authentication, request and response format, every method with its fields, error codes, ' +
    'attachment upload and download, and runnable Python and TypeScript examples. Read it before writing a ' +
    'script for bulk work.\nExample: {}',
  input: z.object({}),
  output: proxyDocumentation,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  example: { method: 'get_proxy_documentation' },
  exampleResult: {
    description: 'HTTP proxy API for bulk data operations.',
    proxy_url: '/api/v1/proxy',
    endpoints: { proxy: 'POST /api/v1/proxy - JSON operations (CRUD, schema)' },
    endpoint_note: 'The full URL is the proxy_url of request_session_token.',
    authentication: 'Bearer token in Authorization header',
    attachment_upload: {},
    attachment_download: {},
    request_format: { method: 'Operation name (required)' },
    response_format: {},
    methods: {},
    error_codes: ['INVALID_TOKEN'],
    errors: [],
    limits: {},
    example_script: '...',
    example_script_typescript: '...',
  },
});
