/**
 * The OpenAPI 3.1 document of the JSON proxy, generated from the method registry with zod 4's
 * `z.toJSONSchema` (JSON Schema 2020-12 is OpenAPI 3.1's schema dialect, so schemas embed unchanged).
 */
import { errorCodeNames, errorCodes, type ErrorCode } from './errors.js';
import { toJsonSchema, type JsonSchema } from './json-schema.js';
import { PROXY_PATH } from './proxy-docs.js';
import { dataMethodNames, methodDefinition, type DataMethodName } from './registry.js';
import { permissionLabel } from './permissions.js';

/** Options of {@link buildOpenApi}. */
export interface OpenApiOptions {
  /** Public base URL of the gateway (e.g. `https://gateway.example.com`), listed under `servers`. */
  serverUrl?: string;
  /** Version reported in `info.version` (default `0.1.0`). */
  version?: string;
}

/** `get_records` -> `GetRecords`, the stem of a method's component names. */
function pascal(name: string): string {
  return name
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** A `$ref` to a component schema. */
function ref(component: string): JsonSchema {
  return { $ref: `#/components/schemas/${component}` };
}

/** The proxy request body of one method: its input schema plus the `method` discriminator. */
function requestSchema(name: DataMethodName): JsonSchema {
  const def = methodDefinition(name);
  const input = toJsonSchema(def.input, 'input');
  const properties = (input.properties ?? {}) as Record<string, unknown>;
  const required = Array.isArray(input.required) ? (input.required as string[]) : [];
  return {
    ...input,
    title: `${name} request`,
    description: def.summary,
    properties: {
      method: { type: 'string', const: name, description: `The method name, "${name}".` },
      ...properties,
    },
    required: ['method', ...required],
    examples: [def.example],
  };
}

/** The success envelope of one method: `{success: true, data: <result>}`. */
function successSchema(name: DataMethodName): JsonSchema {
  const def = methodDefinition(name);
  return {
    type: 'object',
    title: `${name} response`,
    properties: {
      success: { type: 'boolean', const: true, description: 'Always true on success.' },
      data: { ...toJsonSchema(def.output, 'output'), description: `The result of ${name}.` },
    },
    required: ['success', 'data'],
    examples: [{ success: true, data: def.exampleResult }],
  };
}

/** The error envelope, common to every endpoint. */
const errorResponseSchema: JsonSchema = {
  type: 'object',
  title: 'Error response',
  properties: {
    success: { type: 'boolean', const: false, description: 'Always false on failure.' },
    error: { type: 'string', description: 'What went wrong, naming the field, table or column concerned.' },
    code: { type: 'string', enum: [...errorCodeNames], description: 'Stable error code (see the HTTP status).' },
    details: {
      type: 'object',
      description: 'Optional facts: table, column, valid (choices), written_ids (rows written before a failure), grist_status.',
      properties: {
        table: { type: 'string' },
        column: { type: 'string' },
        valid: { type: 'array', items: { type: 'string' } },
        written_ids: { type: 'array', items: { type: 'integer' } },
        grist_status: { type: 'integer' },
      },
    },
  },
  required: ['success', 'error', 'code'],
};

/** Error responses keyed by HTTP status, each listing the codes it carries. */
function errorResponses(codes: readonly ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = errorCodes[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: list.map((code) => `${code}: ${errorCodes[code].meaning}`).join(' '),
      content: { 'application/json': { schema: ref('ErrorResponse') } },
    };
  }
  return responses;
}

/**
 * Builds the OpenAPI 3.1 document: `POST /api/v1/proxy` (a `oneOf` of every data method's request body,
 * discriminated by `method`), the attachment endpoints, `/health`, the envelopes and bearer security.
 */
export function buildOpenApi(options: OpenApiOptions = {}): Record<string, unknown> {
  const schemas: Record<string, unknown> = { ErrorResponse: errorResponseSchema };
  const mapping: Record<string, string> = {};
  for (const name of dataMethodNames) {
    schemas[`${pascal(name)}Request`] = requestSchema(name);
    schemas[`${pascal(name)}Response`] = successSchema(name);
    mapping[name] = `#/components/schemas/${pascal(name)}Request`;
  }
  const methodList = dataMethodNames
    .map((name) => `- \`${name}\` (${permissionLabel(methodDefinition(name))}): ${methodDefinition(name).summary}`)
    .join('\n');

  return {
    openapi: '3.1.0',
    info: {
      title: 'grist-gateway JSON proxy',
      version: options.version ?? '0.1.0',
      description:
        'Plain JSON access to one Grist document with a session token (from the MCP tool or tRPC procedure ' +
        'request_session_token). Every operation is a POST of {"method": ..., fields} to /api/v1/proxy; ' +
        'the answer is {"success": true, "data": ...} or {"success": false, "error": ..., "code": ...}.\n\n' +
        'Methods:\n' +
        methodList,
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl.replace(/\/+$/, '') }] } : {}),
    security: [{ bearerAuth: [] }],
    paths: {
      [PROXY_PATH]: {
        post: {
          operationId: 'proxy',
          summary: 'Call one data method',
          description:
            'Runs the method named by `method` with the other fields of the body. The session token\'s ' +
            'permissions must include the method\'s permission (read, write or schema).',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: dataMethodNames.map((name) => ref(`${pascal(name)}Request`)),
                  discriminator: { propertyName: 'method', mapping },
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'Success: the method\'s result in `data`.',
              content: {
                // anyOf, not oneOf: several methods share a result shape ({table_id}, {column_id}, {deleted}).
                'application/json': { schema: { anyOf: dataMethodNames.map((name) => ref(`${pascal(name)}Response`)) } },
              },
            },
            ...errorResponses(errorCodeNames),
          },
        },
      },
      '/api/v1/attachments': {
        post: {
          operationId: 'uploadAttachment',
          summary: 'Upload a file attachment (needs write)',
          description:
            'Stores one file (form field "file") as a document attachment and returns its id; put the id in ' +
            'an Attachments column as ["L", id] with update_records.',
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  properties: {
                    file: { type: 'string', contentMediaType: 'application/octet-stream', description: 'The file.' },
                  },
                  required: ['file'],
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'The attachment was stored.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      success: { type: 'boolean', const: true },
                      data: {
                        type: 'object',
                        properties: {
                          attachment_id: { type: 'integer', description: 'Id of the new attachment.' },
                          filename: { type: 'string', description: 'The stored file name.' },
                          size_bytes: { type: 'integer', description: 'File size in bytes.' },
                        },
                        required: ['attachment_id', 'filename', 'size_bytes'],
                      },
                    },
                    required: ['success', 'data'],
                  },
                },
              },
            },
            ...errorResponses(errorCodeNames),
          },
        },
      },
      '/api/v1/attachments/{id}': {
        get: {
          operationId: 'downloadAttachment',
          summary: 'Download a file attachment (needs read)',
          parameters: [
            {
              name: 'id',
              in: 'path',
              required: true,
              description: 'Attachment id.',
              schema: { type: 'integer', minimum: 1 },
            },
          ],
          responses: {
            '200': {
              description: 'The file\'s bytes, with its content type and original name.',
              headers: {
                'Content-Disposition': { description: 'attachment; filename="..."', schema: { type: 'string' } },
                'Content-Length': { description: 'Size in bytes.', schema: { type: 'integer' } },
              },
              content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
            },
            ...errorResponses(errorCodeNames),
          },
        },
      },
      '/health': {
        get: {
          operationId: 'health',
          summary: 'Health check for load balancers (no token needed; calls no backend)',
          security: [],
          responses: {
            '200': {
              description: 'The gateway serves; `status` says whether every document and the session store work.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      status: { type: 'string', enum: ['ok', 'degraded'] },
                      version: { type: 'string', description: 'Version of the grist-gateway package.' },
                      uptime_seconds: { type: 'integer' },
                      documents: {
                        type: 'object',
                        properties: {
                          total: { type: 'integer', description: 'Number of configured documents.' },
                          unavailable: {
                            type: 'array',
                            description: 'Documents that cannot be opened, or whose latest call found them unreachable.',
                            items: {
                              type: 'object',
                              properties: { name: { type: 'string' }, reason: { type: 'string' }, since: { type: 'string' } },
                              required: ['name', 'reason'],
                            },
                          },
                        },
                        required: ['total', 'unavailable'],
                      },
                      sessions: {
                        type: 'object',
                        description: 'The session store: its kind and whether it works.',
                        properties: { store: { type: 'string' }, ok: { type: 'boolean' }, error: { type: 'string' } },
                        required: ['store', 'ok'],
                      },
                    },
                    required: ['status', 'version', 'documents', 'sessions'],
                  },
                },
              },
            },
          },
        },
      },
    },
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'A session token from request_session_token (or an agent token).',
        },
      },
    },
  };
}
