/**
 * The zod schema of the proxy documentation (the result of get_proxy_documentation). Kept apart from
 * `proxy-docs.ts`, which builds the value from the registry, so the registry can use the schema without an
 * import cycle.
 */
import { z } from 'zod';

/** One request field of a method, as the documentation lists it (generated from the input schema). */
export const documentedField = z.object({
  name: z.string().describe('Field name in the request body.'),
  type: z.string().describe('JSON type, e.g. "string", "integer", "array of object", "string | array of string".'),
  required: z.boolean().describe('Whether the field must be present.'),
  description: z.string().describe('What the field means.'),
});

/** One method as the documentation lists it. */
export const documentedMethod = z.object({
  description: z.string().describe('What the method does, when to use it, and an example.'),
  summary: z.string().describe('One line.'),
  permission: z.string().describe('Permission the session token needs: read, write or schema.'),
  fields: z
    .record(z.string(), z.string())
    .describe('Field name -> type, with "(optional)" for optional fields (the Python gateway\'s format).'),
  parameters: z.array(documentedField).describe('The request fields in detail.'),
  result: z.array(documentedField).describe('The fields of `data` in a successful response.'),
  example_request: z.record(z.string(), z.unknown()).describe('A sample request body.'),
  example_response: z.record(z.string(), z.unknown()).describe('A sample successful response body.'),
});

/** One method as the documentation lists it (static type). */
export type DocumentedMethodType = z.infer<typeof documentedMethod>;

/** One stable error code as the documentation lists it. */
export const documentedError = z.object({
  code: z.string().describe('The error code.'),
  http_status: z.int().describe('HTTP status of a proxy response with this code.'),
  meaning: z.string().describe('What it means and what to do.'),
});

/** The whole proxy documentation. A superset of the Python grist-mcp one. */
export const proxyDocumentation = z.object({
  description: z.string().describe('What the proxy is for.'),
  proxy_url: z.string().describe('URL of the proxy endpoint (absolute when the server knows its public URL).'),
  endpoints: z.record(z.string(), z.string()).describe('Endpoint name -> "METHOD path - purpose".'),
  endpoint_note: z.string().describe('How to find the full URLs.'),
  authentication: z.string().describe('How to authenticate.'),
  attachment_upload: z.record(z.string(), z.unknown()).describe('How to upload a file.'),
  attachment_download: z.record(z.string(), z.unknown()).describe('How to download a file.'),
  request_format: z.record(z.string(), z.string()).describe('Request body format.'),
  response_format: z.record(z.string(), z.unknown()).describe('Success and error response bodies.'),
  methods: z.record(z.string(), documentedMethod).describe('Every proxy method, by name.'),
  error_codes: z.array(z.string()).describe('The error codes (names only, as in the Python gateway).'),
  errors: z.array(documentedError).describe('The error codes with HTTP status and meaning.'),
  limits: z.record(z.string(), z.string()).describe('Size and paging rules.'),
  example_script: z.string().describe('Runnable Python 3 example (standard library only).'),
  example_script_typescript: z.string().describe('Runnable TypeScript/JavaScript example (Node 18+, global fetch).'),
});

/** The proxy documentation (static type). */
export type ProxyDocumentation = z.infer<typeof proxyDocumentation>;
