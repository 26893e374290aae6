/**
 * JSON Schema of the registry's zod schemas (zod 4's `z.toJSONSchema`, draft 2020-12, the dialect of
 * OpenAPI 3.1 and MCP), and a flat field list of an object schema for the proxy documentation.
 */
import { z } from 'zod';

/** A JSON Schema document (a plain JSON object). */
export type JsonSchema = Record<string, unknown>;

/**
 * Converts a registry schema to JSON Schema. `io: 'input'` describes what a caller may send (defaulted
 * fields optional), `'output'` what the gateway returns. The `$schema` key is dropped so the result can be
 * embedded in an OpenAPI document.
 */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'throw' });
  return rest as JsonSchema;
}

/** One property of an object schema, flattened for documentation. */
export interface FieldDoc {
  /** Property name. */
  name: string;
  /** Readable JSON type, e.g. "string", "array of integer", "string | array of string". */
  type: string;
  /** Whether the property is required. */
  required: boolean;
  /** The property's description ("" when it has none). */
  description: string;
}

/** Narrows an unknown JSON value to a JSON Schema object. */
function asSchema(value: unknown): JsonSchema | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonSchema) : undefined;
}

/** A short readable type of a JSON Schema ("array of object", "integer | null", ...). */
export function typeLabel(schemaValue: unknown): string {
  const schema = asSchema(schemaValue);
  if (!schema) return 'any';
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) return [...new Set(union.map(typeLabel))].join(' | ');
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in schema) return JSON.stringify(schema.const);
  const type = schema.type;
  if (Array.isArray(type)) return type.join(' | ');
  switch (type) {
    case 'array': {
      // Grist-encoded cell lists are tuples: `prefixItems` with a type code first.
      if (Array.isArray(schema.prefixItems)) return 'array (Grist-encoded list)';
      const items = typeLabel(schema.items);
      return items.includes(' | ') ? `array of (${items})` : `array of ${items}`;
    }
    case 'object':
      return 'object';
    case undefined:
      return 'any';
    default:
      return String(type);
  }
}

/** The properties of an object JSON Schema as a field list, in declaration order. */
export function fieldDocs(objectSchema: JsonSchema): FieldDoc[] {
  const properties = asSchema(objectSchema.properties) ?? {};
  const required = new Set(Array.isArray(objectSchema.required) ? objectSchema.required : []);
  return Object.entries(properties).map(([name, value]) => {
    const property = asSchema(value) ?? {};
    return {
      name,
      type: typeLabel(property),
      required: required.has(name),
      description: typeof property.description === 'string' ? property.description : '',
    };
  });
}
