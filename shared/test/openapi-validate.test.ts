/**
 * Validates data against the generated OpenAPI schemas with a real JSON Schema 2020-12 validator (ajv, the
 * one the MCP SDK uses), so the JSON Schema that clients see agrees with the zod validation of the server.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { buildOpenApi, dataMethodNames, methods } from '../src/index.js';

type Json = Record<string, unknown>;

const doc = buildOpenApi() as Json & { components: { schemas: Record<string, Json> }; paths: Record<string, Record<string, Json>> };
// ajv does not implement the OpenAPI `discriminator` (with `mapping`); the `oneOf` alone decides, which the
// `method` constants make exact.
const ajv = new Ajv2020({ strict: false, allErrors: true });
// Register the document once so `#/components/schemas/...` references resolve.
ajv.addSchema({ $id: 'https://grist-gateway.local/openapi.json', components: doc.components }, 'openapi');

/** Compiles a schema that uses the document's `#/components/...` references. */
function compile(schema: Json) {
  const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"https://grist-gateway.local/openapi.json#/components/')) as Json;
  return ajv.compile(rewritten);
}

const proxyPost = doc.paths['/api/v1/proxy']?.post as Json;
const bodySchema = ((proxyPost.requestBody as Json).content as Record<string, Json>)['application/json']?.schema as Json;
const okSchema = (((proxyPost.responses as Record<string, Json>)['200']?.content as Record<string, Json>)['application/json']?.schema) as Json;
const { discriminator: _discriminator, ...bodyOneOf } = bodySchema;
const validateBody = compile(bodyOneOf);
const validateOk = compile(okSchema);

describe('OpenAPI schemas under a JSON Schema 2020-12 validator', () => {
  it.each(dataMethodNames)('accepts the %s example request and response', (name) => {
    const def = methods[name];
    expect(validateBody(def.example), JSON.stringify(validateBody.errors)).toBe(true);
    expect(validateOk({ success: true, data: def.exampleResult }), JSON.stringify(validateOk.errors)).toBe(true);
  });

  it('rejects bodies that zod rejects too', () => {
    const bad: Json[] = [
      { method: 'nope' },
      { method: 'get_records' },
      { method: 'add_records', table: 'T', records: [{ A: { x: 1 } }] },
      { method: 'delete_records', table: 'T', record_ids: [0] },
      { method: 'get_records', table: 'T', limit: 0 },
      { method: 'add_or_update_records', table: 'T', records: [], on_many: 'some' },
    ];
    for (const body of bad) {
      expect(validateBody(body), JSON.stringify(body)).toBe(false);
      const { method, ...fields } = body;
      if (typeof method === 'string' && method in methods) {
        expect(methods[method as keyof typeof methods].input.safeParse(fields).success).toBe(false);
      }
    }
  });

  it('accepts a Grist-encoded list and rejects a plain list as a cell value', () => {
    expect(validateBody({ method: 'add_records', table: 'T', records: [{ A: ['L', 'x', 'y'] }] })).toBe(true);
    expect(validateBody({ method: 'add_records', table: 'T', records: [{ A: [1, 2] }] })).toBe(false);
  });

  it('compiles every component schema', () => {
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      expect(() => compile(schema), name).not.toThrow();
    }
  });
});
