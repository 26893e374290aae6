import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  agentMethodNames,
  dataMethodNames,
  isDataMethodName,
  isMethodName,
  methodDefinition,
  methodNames,
  methods,
  type AgentMethodName,
  type CellValueType,
  type DataMethodName,
  type MethodInput,
  type MethodName,
  type MethodOutput,
} from '../src/index.js';

/** Every property of every object in a JSON Schema, with its path, for the "described" check. */
function undescribedProperties(schema: unknown, path = ''): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  const node = schema as Record<string, unknown>;
  const missing: string[] = [];
  const properties = node.properties as Record<string, Record<string, unknown>> | undefined;
  for (const [name, property] of Object.entries(properties ?? {})) {
    if (typeof property.description !== 'string' || property.description.trim() === '') missing.push(`${path}.${name}`);
    missing.push(...undescribedProperties(property, `${path}.${name}`));
  }
  for (const key of ['items', 'additionalProperties'] as const) {
    missing.push(...undescribedProperties(node[key], `${path}[${key}]`));
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const list = node[key];
    if (Array.isArray(list)) list.forEach((s, i) => missing.push(...undescribedProperties(s, `${path}|${i}`)));
  }
  return missing;
}

/** Methods whose input a model cannot guess from the field names alone: their description shows one call. */
const EXAMPLE_NEEDED: ReadonlySet<MethodName> = new Set(['get_records', 'sql_query', 'add_records', 'add_or_update_records', 'request_session_token']);

const expectedPermissions: Record<MethodName, string> = {
  list_tables: 'read',
  describe_table: 'read',
  get_records: 'read',
  sql_query: 'read',
  add_records: 'write',
  update_records: 'write',
  delete_records: 'write',
  add_or_update_records: 'write',
  create_table: 'schema',
  rename_table: 'schema',
  delete_table: 'schema',
  add_column: 'schema',
  modify_column: 'schema',
  delete_column: 'schema',
  list_documents: 'agent',
  request_session_token: 'agent',
  revoke_session_token: 'agent',
  get_proxy_documentation: 'agent',
};

describe('method registry', () => {
  it('has exactly the Python methods plus the new ones, with their permissions', () => {
    expect(Object.fromEntries(methodNames.map((n) => [n, methods[n].permission]))).toEqual(expectedPermissions);
  });

  it('splits names into data and agent methods', () => {
    expect([...dataMethodNames, ...agentMethodNames].sort()).toEqual([...methodNames].sort());
    expect(agentMethodNames).toEqual(['list_documents', 'request_session_token', 'revoke_session_token', 'get_proxy_documentation']);
    expect(isMethodName('get_records')).toBe(true);
    expect(isMethodName('toString')).toBe(false);
    expect(isDataMethodName('list_documents')).toBe(false);
    expect(isDataMethodName('sql_query')).toBe(true);
  });

  describe.each(methodNames)('%s', (name) => {
    const def = methodDefinition(name);

    it('is declared under its own wire name with a one-line summary and a short description', () => {
      expect(def.name).toBe(name);
      expect(def.summary).not.toMatch(/\n/);
      expect(def.summary.length).toBeGreaterThan(10);
      expect(def.title.length).toBeGreaterThan(3);
      expect(def.description.length).toBeGreaterThan(15);
      // Descriptions go into every agent's context (the MCP tool list): one short paragraph.
      expect(def.description.length).toBeLessThan(330);
      if (EXAMPLE_NEEDED.has(name)) expect(def.description).toMatch(/Example: \{.*\}$/);
    });

    it('sets all four MCP annotations, consistently', () => {
      const a = def.annotations;
      for (const key of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof a[key]).toBe('boolean');
      }
      expect(a.readOnlyHint).toBe(def.permission === 'read' || name === 'list_documents' || name === 'get_proxy_documentation');
      if (a.readOnlyHint) expect(a.destructiveHint).toBe(false);
    });

    it.each(['input', 'output'] as const)('%s converts to JSON Schema with an object root and described fields', (which) => {
      const json = z.toJSONSchema(def[which], { target: 'draft-2020-12', io: which, unrepresentable: 'throw' });
      expect(json.type).toBe('object');
      expect(json.$ref).toBeUndefined();
      expect(json.$defs).toBeUndefined();
      expect(undescribedProperties(json)).toEqual([]);
    });

    it('has an example request and result that match its schemas', () => {
      const { method, ...fields } = def.example as { method: string } & Record<string, unknown>;
      expect(method).toBe(name);
      expect(def.input.safeParse(fields).error).toBeUndefined();
      expect(def.output.safeParse(def.exampleResult).error).toBeUndefined();
    });
  });

  it('says once, in request_session_token, that bulk work belongs in a script', () => {
    expect(methods.request_session_token.description).toMatch(/bulk work.*script/i);
  });

  it('keeps exact static types', () => {
    expectTypeOf<MethodInput<'add_records'>>().toEqualTypeOf<{
      document?: string | undefined;
      table: string;
      records: Record<string, CellValueType>[];
    }>();
    expectTypeOf<MethodOutput<'add_records'>>().toEqualTypeOf<{ record_ids: number[] }>();
    expectTypeOf<MethodOutput<'delete_column'>>().toEqualTypeOf<{ deleted: string }>();
    expectTypeOf<MethodInput<'request_session_token'>['ttl_seconds']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<MethodInput<'request_session_token'>['permissions']>().toEqualTypeOf<('read' | 'write' | 'schema')[]>();
    expectTypeOf<AgentMethodName>().toEqualTypeOf<
      'list_documents' | 'request_session_token' | 'revoke_session_token' | 'get_proxy_documentation'
    >();
    expectTypeOf<'get_records'>().toExtend<DataMethodName>();
    expectTypeOf<(typeof methods)['get_records']['permission']>().toEqualTypeOf<'read'>();
  });

  it('defaults ttl_seconds to 300 and bounds it to 1..3600', () => {
    const input = methods.request_session_token.input;
    expect(input.parse({ document: 'd', permissions: ['read'] }).ttl_seconds).toBe(300);
    expect(input.safeParse({ document: 'd', permissions: ['read'], ttl_seconds: 0 }).success).toBe(false);
    expect(input.safeParse({ document: 'd', permissions: ['read'], ttl_seconds: 3601 }).success).toBe(false);
    expect(input.safeParse({ document: 'd', permissions: ['read'], ttl_seconds: 3600 }).success).toBe(true);
  });
});
