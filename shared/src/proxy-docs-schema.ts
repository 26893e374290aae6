/**
 * The zod schema of the proxy documentation (the result of get_proxy_documentation). Kept apart from
 * `proxy-docs.ts`, which builds the value from the registry, so the registry can use the schema without an
 * import cycle.
 *
 * It keeps the Python grist-mcp documentation's keys (description, endpoints, authentication,
 * request_format, response_format, methods with `description` and `fields`, error_codes, example_script)
 * and stays short: an agent reads it in its context. The full JSON Schemas are in the OpenAPI document
 * (`openapi_url`).
 */
import { z } from 'zod';

/** One method as the documentation lists it. */
export const documentedMethod = z.object({
  description: z.string().describe('What the method does (one line).'),
  permission: z.string().describe('Permission(s) the session token needs: read, write, schema, or e.g. read + write.'),
  fields: z
    .record(z.string(), z.string())
    .describe('Field name -> type, with "(optional)" for optional fields (the Python gateway\'s format).'),
  result: z.array(z.string()).describe('The keys of `data` in a successful response.'),
});

/** One method as the documentation lists it (static type). */
export type DocumentedMethodType = z.infer<typeof documentedMethod>;

/** The whole proxy documentation. */
export const proxyDocumentation = z.object({
  description: z.string().describe('What the proxy is for.'),
  proxy_url: z.string().describe('URL of the proxy endpoint (absolute when the server knows its public URL).'),
  openapi_url: z.string().describe('URL of the OpenAPI document with the full JSON Schemas of every method.'),
  endpoints: z.record(z.string(), z.string()).describe('Endpoint name -> "METHOD path - purpose".'),
  authentication: z.string().describe('How to authenticate.'),
  request_format: z.record(z.string(), z.string()).describe('Request body format.'),
  response_format: z.record(z.string(), z.unknown()).describe('Success and error response bodies.'),
  methods: z.record(z.string(), documentedMethod).describe('Every proxy method, by name.'),
  paging: z.string().describe('How to read a large table page by page.'),
  error_codes: z.array(z.string()).describe('The error codes (names only, as in the Python gateway).'),
  errors: z.record(z.string(), z.string()).describe('Error code -> "HTTP status: meaning".'),
  example_script: z.string().describe('Runnable Python 3 example (standard library only).'),
  example_script_typescript: z.string().describe('Runnable TypeScript example (Node 18+, global fetch).'),
});

/** The proxy documentation (static type). */
export type ProxyDocumentation = z.infer<typeof proxyDocumentation>;
