/**
 * The documentation of the JSON proxy (the result of get_proxy_documentation), generated from the method
 * registry. A superset of the Python grist-mcp documentation: the same keys (description, endpoints,
 * authentication, request/response format, methods with `fields`, error_codes, attachments,
 * example_script) plus detailed fields, results, examples, error statuses and a TypeScript example.
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

/** Documentation of one data method, from its schemas. */
function documentMethod(name: (typeof dataMethodNames)[number]): DocumentedMethodType {
  const def = methodDefinition(name);
  const parameters = fieldDocs(toJsonSchema(def.input, 'input'));
  return {
    description: def.description,
    summary: def.summary,
    permission: permissionLabel(def),
    fields: pythonFields(parameters),
    parameters,
    result: fieldDocs(toJsonSchema(def.output, 'output')),
    example_request: { ...def.example },
    example_response: { success: true, data: def.exampleResult },
  };
}

/** A runnable Python 3 script (standard library only) that reads a table page by page. */
function pythonExample(defaultUrl: string | null): string {
  return [
    '#!/usr/bin/env python3',
    '"""Reads a table through the grist-gateway JSON proxy, page by page (Python 3 standard library only).',
    '',
    'Usage: python3 example.py TOKEN [PROXY_URL] [TABLE]',
    'TOKEN and PROXY_URL are the token and proxy_url of a request_session_token result.',
    'Without TABLE the first table of the document is read.',
    '"""',
    'import json',
    'import sys',
    'import urllib.error',
    'import urllib.request',
    '',
    `DEFAULT_PROXY_URL = ${defaultUrl === null ? 'None' : JSON.stringify(defaultUrl)}`,
    '',
    'if len(sys.argv) < 2 or (len(sys.argv) < 3 and DEFAULT_PROXY_URL is None):',
    '    sys.exit("usage: python3 example.py TOKEN PROXY_URL [TABLE]")',
    'TOKEN = sys.argv[1]',
    'PROXY_URL = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_PROXY_URL',
    '',
    '',
    'def call(method, **fields):',
    '    """Calls one proxy method and returns its data; raises RuntimeError with the error code and message."""',
    '    body = json.dumps({"method": method, **fields}).encode("utf-8")',
    '    request = urllib.request.Request(',
    '        PROXY_URL,',
    '        data=body,',
    '        method="POST",',
    '        headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"},',
    '    )',
    '    try:',
    '        with urllib.request.urlopen(request) as response:',
    '            reply = json.load(response)',
    '    except urllib.error.HTTPError as error:',
    '        try:',
    '            reply = json.load(error)',
    '        except ValueError:',
    '            raise RuntimeError(f"{method} failed: HTTP {error.code}") from None',
    '    if not reply.get("success"):',
    '        raise RuntimeError(f"{method} failed: {reply.get(\'code\')}: {reply.get(\'error\')}")',
    '    return reply["data"]',
    '',
    '',
    'tables = call("list_tables")["tables"]',
    'print("tables:", tables)',
    'table = sys.argv[3] if len(sys.argv) > 3 else (tables[0] if tables else None)',
    'if table is not None:',
    '    columns = call("describe_table", table=table)["columns"]',
    '    print("columns:", [column["id"] for column in columns])',
    '    count, cursor = 0, None',
    '    while True:',
    '        page = call("get_records", table=table, limit=500, **({"cursor": cursor} if cursor else {}))',
    '        count += len(page["records"])',
    '        cursor = page["next_cursor"]',
    '        if cursor is None:',
    '            break',
    '    print(count, "records in", table)',
    '',
    '# Writing needs a token with the "write" permission, e.g.:',
    '# ids = call("add_records", table="Orders", records=[{"Item": "Widget", "Qty": 100}])["record_ids"]',
    '# call("update_records", table="Orders", records=[{"id": ids[0], "fields": {"Qty": 99}}])',
    '',
  ].join('\n');
}

/** A runnable TypeScript script (Node 18+, global fetch, no dependencies) doing the same. */
function typescriptExample(defaultUrl: string | null): string {
  return [
    '// Reads a table through the grist-gateway JSON proxy, page by page (Node 18+, global fetch, no dependencies).',
    '// Usage: npx tsx example.ts TOKEN [PROXY_URL] [TABLE]',
    '// TOKEN and PROXY_URL are the token and proxy_url of a request_session_token result.',
    `const DEFAULT_PROXY_URL: string | undefined = ${defaultUrl === null ? 'undefined' : JSON.stringify(defaultUrl)};`,
    'const [token, proxyArg, tableArg] = process.argv.slice(2);',
    'const proxyUrl = proxyArg ?? DEFAULT_PROXY_URL;',
    '',
    'type Reply<T> = { success: true; data: T } | { success: false; error: string; code: string };',
    '',
    '/** Calls one proxy method and returns its data; throws with the error code and message. */',
    'async function call<T>(method: string, fields: Record<string, unknown> = {}): Promise<T> {',
    '  const response = await fetch(proxyUrl as string, {',
    "    method: 'POST',",
    "    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },",
    '    body: JSON.stringify({ method, ...fields }),',
    '  });',
    '  let reply: Reply<T>;',
    '  try {',
    '    reply = (await response.json()) as Reply<T>;',
    '  } catch {',
    '    throw new Error(`${method} failed: HTTP ${response.status}`);',
    '  }',
    '  if (!reply.success) throw new Error(`${method} failed: ${reply.code}: ${reply.error}`);',
    '  return reply.data;',
    '}',
    '',
    'async function main(): Promise<void> {',
    '  if (!token || !proxyUrl) {',
    "    console.error('usage: npx tsx example.ts TOKEN PROXY_URL [TABLE]');",
    '    process.exit(2);',
    '  }',
    "  const { tables } = await call<{ tables: string[] }>('list_tables');",
    "  console.log('tables:', tables);",
    '  const table = tableArg ?? tables[0];',
    '  if (table === undefined) return;',
    "  const { columns } = await call<{ columns: { id: string }[] }>('describe_table', { table });",
    "  console.log('columns:', columns.map((column) => column.id));",
    '  let count = 0;',
    '  let cursor: string | null = null;',
    '  do {',
    '    const page: { records: Record<string, unknown>[]; next_cursor: string | null } = await call(',
    "      'get_records',",
    '      cursor === null ? { table, limit: 500 } : { table, limit: 500, cursor },',
    '    );',
    '    count += page.records.length;',
    '    cursor = page.next_cursor;',
    '  } while (cursor !== null);',
    "  console.log(count, 'records in', table);",
    '  // Writing needs a token with the "write" permission, e.g.:',
    "  // const { record_ids } = await call<{ record_ids: number[] }>('add_records', { table: 'Orders', records: [{ Item: 'Widget', Qty: 100 }] });",
    '}',
    '',
    'main().catch((err: unknown) => {',
    '  console.error(err instanceof Error ? err.message : err);',
    '  process.exit(1);',
    '});',
    '',
  ].join('\n');
}

/**
 * Builds the proxy documentation. Every data method is listed with its fields (name, type, required,
 * description) generated from its input schema, its result fields, and an example request and response.
 */
export function buildProxyDocumentation(options: ProxyDocumentationOptions = {}): ProxyDocumentation {
  const proxyUrl = options.proxyUrl ?? PROXY_PATH;
  const absolute = isAbsoluteUrl(proxyUrl);
  const base = absolute ? proxyUrl.replace(/\/api\/v1\/proxy\/?$/, '') : '';
  const attachmentsUrl = `${base}/api/v1/attachments`;
  const curlUrl = absolute ? attachmentsUrl : 'URL/api/v1/attachments';
  const methods = Object.fromEntries(dataMethodNames.map((name) => [name, documentMethod(name)]));
  return {
    description:
      'HTTP proxy API for bulk data operations. Use request_session_token to get a short-lived token, then ' +
      'call the proxy endpoint directly from scripts: one POST per operation, JSON in and out, no MCP ' +
      'round trips through the conversation.',
    proxy_url: proxyUrl,
    endpoints: {
      proxy: `POST ${proxyUrl} - JSON operations (CRUD, schema)`,
      attachments_upload: `POST ${attachmentsUrl} - File uploads (multipart/form-data)`,
      attachments_download: `GET ${attachmentsUrl}/{id} - File downloads (binary response)`,
    },
    endpoint_note:
      "The full URL is returned in the 'proxy_url' field of request_session_token response. Replace /proxy " +
      'with /attachments for file operations.',
    authentication:
      'Bearer token in Authorization header: "Authorization: Bearer <token>" with the session token from ' +
      'request_session_token. The token is bound to one document and carries read, write and/or schema ' +
      'permissions; it expires at expires_at (TOKEN_EXPIRED), after which a new one must be requested.',
    attachment_upload: {
      endpoint: `POST ${attachmentsUrl}`,
      content_type: 'multipart/form-data',
      form_field: 'file',
      permission: 'write',
      description:
        'Upload a file attachment to the document (one file per request, in the form field "file"). Returns ' +
        'attachment_id; link it to a record by setting an Attachments column with update_records, e.g. ' +
        '{"Files": ["L", 42]}.',
      response: { success: true, data: { attachment_id: 42, filename: 'invoice.pdf', size_bytes: 31395 } },
      example_curl: `curl -X POST -H 'Authorization: Bearer TOKEN' -F 'file=@invoice.pdf' ${curlUrl}`,
    },
    attachment_download: {
      endpoint: `GET ${attachmentsUrl}/{attachment_id}`,
      permission: 'read',
      description:
        'Download an attachment by id. Returns the file\'s bytes with Content-Type and Content-Disposition ' +
        '(the original file name) headers; errors are JSON like the proxy\'s.',
      response_headers: ['Content-Type', 'Content-Disposition', 'Content-Length'],
      example_curl: `curl -H 'Authorization: Bearer TOKEN' ${curlUrl}/42 -o file.pdf`,
    },
    request_format: {
      method: 'Operation name (required), one of: ' + dataMethodNames.join(', '),
      table: 'Table id (required for most operations)',
      '...': 'The other fields of the method, at the top level of the JSON object (see methods.<name>.parameters)',
      document: 'Optional: the session token fixes the document; if given it must be that document',
      content_type: 'application/json (UTF-8)',
    },
    response_format: {
      success: { success: true, data: '... (the method\'s result, see methods.<name>.result)' },
      error: {
        success: false,
        error: 'message naming what was wrong',
        code: 'ERROR_CODE',
        details: '(optional) object: table, column, valid choices, written_ids, grist_status',
      },
      http_status: 'Success is 200; an error carries the HTTP status of its code (see errors).',
    },
    methods,
    error_codes: [...errorCodeNames],
    errors: errorCodeNames.map((code) => ({ code, http_status: errorCodes[code].status, meaning: errorCodes[code].meaning })),
    limits: {
      paging:
        'get_records returns next_cursor when limit is given and more records remain; pass it back as cursor ' +
        '(with the same table, filter and sort) until it is null.',
      batches:
        'The server limits request body size and records per request (PAYLOAD_TOO_LARGE when exceeded): send ' +
        'large writes in batches of a few thousand records.',
      atomicity: 'Each write request is applied fully or not at all.',
    },
    example_script: pythonExample(absolute ? proxyUrl : null),
    example_script_typescript: typescriptExample(absolute ? proxyUrl : null),
  };
}
