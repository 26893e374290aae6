/**
 * The documentation of the JSON proxy (the result of get_proxy_documentation), generated from the method
 * registry. It keeps the Python grist-mcp documentation's main keys (description, endpoints,
 * authentication, request/response format, methods with `fields`, error_codes, example_script) and stays
 * under 6,000 bytes (an agent reads it in its context; server/test/mcp-size.test.ts holds the limit):
 * one line per method, and a pointer to the OpenAPI document for the full schemas.
 */
import { errorCodeNames, errorCodes } from './errors.js';
import { fieldDocs, toJsonSchema, type FieldDoc } from './json-schema.js';
import type { DocumentedMethodType, ProxyDocumentation } from './proxy-docs-schema.js';
import { dataMethodNames, methodDefinition } from './registry.js';
import { permissionLabel } from './permissions.js';

/** Options of {@link buildProxyDocumentation}. */
export interface ProxyDocumentationOptions {
  /**
   * URL of the proxy endpoint, e.g. `https://gateway.example.com/api/v1/proxy`. When absolute it is used
   * in the endpoint list and as the default URL of the example scripts. Default `/api/v1/proxy`.
   */
  proxyUrl?: string;
}

/** The proxy's path on the gateway. */
export const PROXY_PATH = '/api/v1/proxy';

/** `true` for an absolute http(s) URL. */
function isAbsoluteUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** The Python-compatible `fields` map: name -> "type" or "type (optional)". */
function pythonFields(fields: readonly FieldDoc[]): Record<string, string> {
  return Object.fromEntries(fields.map((f) => [f.name, f.required ? f.type : `${f.type} (optional)`]));
}

/** Documentation of one data method, from its schemas: one line, its fields and its result keys. */
function documentMethod(name: (typeof dataMethodNames)[number]): DocumentedMethodType {
  const def = methodDefinition(name);
  return {
    description: def.summary,
    permission: permissionLabel(def),
    fields: pythonFields(fieldDocs(toJsonSchema(def.input, 'input')).filter((f) => f.name !== 'document')),
    result: fieldDocs(toJsonSchema(def.output, 'output')).map((f) => f.name),
  };
}

/** A runnable Python 3 script (standard library only) that reads a table page by page. */
function pythonExample(defaultUrl: string | null): string {
  return [
    '# python3 example.py TOKEN [PROXY_URL] [TABLE]: reads a table page by page (standard library only).',
    'import json, sys, urllib.error, urllib.request',
    `TOKEN, URL = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ${defaultUrl === null ? 'None' : JSON.stringify(defaultUrl)}`,
    '',
    'def call(method, **fields):',
    '    body = json.dumps({"method": method, **fields}).encode()',
    '    headers = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}',
    '    try:',
    '        reply = json.load(urllib.request.urlopen(urllib.request.Request(URL, body, headers)))',
    '    except urllib.error.HTTPError as error:',
    '        reply = json.load(error)',
    '    if not reply["success"]:',
    '        raise SystemExit(f"{method} failed: {reply[\'code\']}: {reply[\'error\']}")',
    '    return reply["data"]',
    '',
    '',
    'table = sys.argv[3] if len(sys.argv) > 3 else call("list_tables")["tables"][0]',
    'count, cursor = 0, None',
    'while True:',
    '    page = call("get_records", table=table, limit=1000, **({"cursor": cursor} if cursor else {}))',
    '    count += len(page["records"])',
    '    cursor = page["next_cursor"]',
    '    if cursor is None:',
    '        break',
    'print(count, "records in", table)',
    '# With "write": call("add_records", table=table, records=[{"Name": "Ada"}])["record_ids"]',
    '',
  ].join('\n');
}

/** A runnable TypeScript script (Node 18+, global fetch, no dependencies) doing the same. */
function typescriptExample(defaultUrl: string | null): string {
  return [
    '// npx tsx example.ts TOKEN [PROXY_URL] [TABLE]: reads a table page by page (Node 18+).',
    `const [token, url = ${defaultUrl === null ? "''" : `'${defaultUrl.replace(/[\\']/g, '\\$&')}'`}, tableArg] = process.argv.slice(2);`,
    'async function call(method: string, fields: object = {}): Promise<any> {',
    '  const response = await fetch(url, {',
    "    method: 'POST',",
    "    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },",
    '    body: JSON.stringify({ method, ...fields }),',
    '  });',
    '  const reply = await response.json();',
    '  if (!reply.success) throw new Error(`${method} failed: ${reply.code}: ${reply.error}`);',
    '  return reply.data;',
    '}',
    'async function main(): Promise<void> {',
    "  const table: string = tableArg ?? (await call('list_tables')).tables[0];",
    '  let count = 0;',
    '  let cursor: string | null = null;',
    '  do {',
    "    const page = await call('get_records', { table, limit: 1000, ...(cursor ? { cursor } : {}) });",
    '    count += page.records.length;',
    '    cursor = page.next_cursor;',
    '  } while (cursor !== null);',
    "  console.log(count, 'records in', table);",
    '}',
    'main().catch((err: Error) => {',
    '  console.error(err.message);',
    '  process.exit(1);',
    '});',
    '',
  ].join('\n');
}

/**
 * Builds the proxy documentation from the registry: every data method with its fields and result keys,
 * the error codes, paging, attachments, and a runnable Python and TypeScript example. The full JSON
 * Schemas are left to the OpenAPI document it points to, so this stays short enough for an agent's context.
 */
export function buildProxyDocumentation(options: ProxyDocumentationOptions = {}): ProxyDocumentation {
  const proxyUrl = options.proxyUrl ?? PROXY_PATH;
  const absolute = isAbsoluteUrl(proxyUrl);
  const base = absolute ? proxyUrl.replace(/\/api\/v1\/proxy\/?$/, '') : '';
  const attachmentsUrl = `${base}/api/v1/attachments`;
  const methods = Object.fromEntries(dataMethodNames.map((name) => [name, documentMethod(name)]));
  return {
    description:
      'JSON proxy for scripts doing bulk work with a session token from request_session_token: one POST per ' +
      'operation, JSON in and out.',
    proxy_url: proxyUrl,
    openapi_url: `${base}/api/v1/openapi.json`,
    endpoints: {
      proxy: `POST ${proxyUrl} - JSON operations`,
      attachments_upload: `POST ${attachmentsUrl} - multipart field "file" (write) -> {attachment_id, filename, size_bytes}; link it with update_records, e.g. {"Files": ["L", 42]}`,
      attachments_download: `GET ${attachmentsUrl}/{id} - the file (read)`,
    },
    authentication:
      'Header "Authorization: Bearer <token>" with the session token: bound to one document, it expires at ' +
      'expires_at (then TOKEN_EXPIRED: request a new one).',
    request_format: {
      method: 'The method name (required).',
      '...': 'Its fields at the top level, e.g. {"method": "get_records", "table": "Orders", "limit": 100}.',
    },
    response_format: {
      success: { success: true, data: '{...the result}' },
      error: { success: false, error: 'message naming the field, table or column', code: 'ERROR_CODE', details: '{...} (optional)' },
    },
    methods,
    paging:
      'get_records with limit returns next_cursor; pass it back as cursor (same table, filter, sort) until it is ' +
      'null. Writes are all or nothing; send large ones in batches of a few thousand records.',
    error_codes: [...errorCodeNames],
    errors: Object.fromEntries(errorCodeNames.map((code) => [code, `${errorCodes[code].status}: ${errorCodes[code].meaning}`])),
    example_script: pythonExample(absolute ? proxyUrl : null),
    example_script_typescript: typescriptExample(absolute ? proxyUrl : null),
  };
}

/** A field list in one line: `table: string, limit?: integer`. */
function fieldLine(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([name, type]) => (type.endsWith(' (optional)') ? `${name}?: ${type.slice(0, -' (optional)'.length)}` : `${name}: ${type}`))
    .join(', ');
}

/** `- CODE status`, plus what to do when the meaning says so after a ";" (`- RATE_LIMITED 429: wait and retry`). */
function errorLine(code: string, text: string): string {
  const [status, meaning = ''] = text.split(': ', 2);
  const advice = meaning.split('; ')[1]?.replace(/\.$/, '');
  return advice ? `- ${code} ${status}: ${advice}` : `- ${code} ${status}`;
}

/**
 * The documentation as plain text, for an agent's context (MCP sends this, once): the same content as
 * {@link buildProxyDocumentation}, without the quoting JSON would add around every line of the examples.
 */
export function renderProxyDocumentation(doc: ProxyDocumentation): string {
  const lines = [
    doc.description,
    '',
    `Endpoint: POST ${doc.proxy_url}. ${doc.authentication}`,
    `Request: {"method": "<name>", ...fields}. Success: {"success": true, "data": {...}}. Failure: {"success": false, "error": "<message>", "code": "<CODE>", "details"?: {...}} with the code's HTTP status.`,
    `Full JSON Schemas: GET ${doc.openapi_url}`,
    ...Object.entries(doc.endpoints).filter(([name]) => name !== 'proxy').map(([, text]) => `Attachments: ${text}`),
    '',
    'Methods (permission) fields -> result keys:',
    ...Object.entries(doc.methods).map(
      ([name, m]) => `- ${name} (${m.permission}) ${fieldLine(m.fields) || '-'} -> ${m.result.join(', ')}`,
    ),
    '',
    `Paging: ${doc.paging}`,
    '',
    'Errors (code HTTP-status; the message says what was wrong):',
    ...Object.entries(doc.errors).map(([code, text]) => errorLine(code, text)),
    '',
    'Python example:',
    doc.example_script,
    'TypeScript example:',
    doc.example_script_typescript,
  ];
  return lines.join('\n');
}
