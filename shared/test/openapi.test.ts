import { describe, expect, it } from 'vitest';
import { buildOpenApi, dataMethodNames, errorCodeNames, methods } from '../src/index.js';

type Json = Record<string, unknown>;

/** Follows a `$ref` inside the document. */
function resolve(doc: Json, value: unknown): Json {
  const node = value as Json;
  if (typeof node.$ref !== 'string') return node;
  const path = node.$ref.replace(/^#\//, '').split('/');
  let current: unknown = doc;
  for (const segment of path) current = (current as Json)[segment];
  if (current === undefined) throw new Error(`unresolved $ref ${node.$ref}`);
  return current as Json;
}

/** Every `$ref` anywhere in a value. */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, out));
  else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('buildOpenApi', () => {
  const doc = buildOpenApi({ serverUrl: 'https://gateway.example.com/' }) as Json;
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const proxy = paths['/api/v1/proxy']?.post as Json;

  it('is an OpenAPI 3.1 document with info, servers, paths, components and bearer security', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect((doc.info as Json).title).toEqual(expect.any(String));
    expect((doc.info as Json).version).toEqual(expect.any(String));
    expect(doc.servers).toEqual([{ url: 'https://gateway.example.com' }]);
    expect(Object.keys(paths).sort()).toEqual(['/api/v1/attachments', '/api/v1/attachments/{id}', '/api/v1/proxy', '/health']);
    const components = doc.components as Json;
    expect((components.securitySchemes as Json).bearerAuth).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect((paths['/health']?.get as Json).security).toEqual([]);
    expect(buildOpenApi()).not.toHaveProperty('servers');
  });

  it('gives every operation an operationId and responses, and every $ref resolves', () => {
    const ids = new Set<string>();
    for (const item of Object.values(paths)) {
      for (const op of Object.values(item)) {
        expect(typeof op.operationId).toBe('string');
        ids.add(op.operationId as string);
        expect(Object.keys(op.responses as Json)).toContain('200');
      }
    }
    expect(ids.size).toBe(4);
    for (const r of refs(doc)) expect(() => resolve(doc, { $ref: r })).not.toThrow();
  });

  it('describes the proxy body as a oneOf of every data method, discriminated by method', () => {
    const schema = ((proxy.requestBody as Json).content as Record<string, Json>)['application/json']?.schema as Json;
    const oneOf = schema.oneOf as Json[];
    expect(oneOf).toHaveLength(dataMethodNames.length);
    const discriminator = schema.discriminator as { propertyName: string; mapping: Record<string, string> };
    expect(discriminator.propertyName).toBe('method');
    expect(Object.keys(discriminator.mapping).sort()).toEqual([...dataMethodNames].sort());
    for (const name of dataMethodNames) {
      const target = discriminator.mapping[name];
      expect(oneOf).toContainEqual({ $ref: target });
      const body = resolve(doc, { $ref: target });
      expect(body.type).toBe('object');
      expect((body.properties as Record<string, Json>).method).toEqual(expect.objectContaining({ const: name }));
      expect(body.required).toContain('method');
      // The fields come from the registry's input schema.
      const fields = Object.keys(methods[name].input.shape);
      expect(Object.keys(body.properties as Json)).toEqual(['method', ...fields]);
    }
    expect(Object.keys(resolve(doc, { $ref: discriminator.mapping.add_records }).properties as Json)).toEqual([
      'method',
      'document',
      'table',
      'records',
    ]);
  });

  it('has success envelopes per method and error responses for every code', () => {
    const responses = proxy.responses as Record<string, Json>;
    const ok = (responses['200']?.content as Record<string, Json>)['application/json']?.schema as Json;
    expect(ok.anyOf).toHaveLength(dataMethodNames.length);
    const first = resolve(doc, (ok.anyOf as Json[])[0]);
    expect((first.properties as Record<string, Json>).success).toEqual(expect.objectContaining({ const: true }));
    expect((first.properties as Record<string, Json>).data).toEqual(expect.objectContaining({ type: 'object' }));
    for (const status of ['400', '401', '403', '404', '413', '429', '500', '502', '503']) {
      expect(responses[status]).toBeDefined();
    }
    const described = Object.values(responses).map((r) => r.description as string).join(' ');
    for (const code of errorCodeNames) expect(described).toContain(code);
    const error = resolve(doc, { $ref: '#/components/schemas/ErrorResponse' });
    expect((error.properties as Record<string, Json>).code?.enum).toEqual(errorCodeNames);
  });

  it('describes the attachment endpoints', () => {
    const upload = paths['/api/v1/attachments']?.post as Json;
    expect(Object.keys((upload.requestBody as Json).content as Json)).toEqual(['multipart/form-data']);
    const download = paths['/api/v1/attachments/{id}']?.get as Json;
    expect(download.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
  });

  it('is plain JSON (survives a JSON round trip unchanged)', () => {
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});
