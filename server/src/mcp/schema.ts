/**
 * Compact JSON Schemas for MCP tool inputs.
 *
 * Every agent pays for `tools/list` in its context on every conversation, so the input schemas are
 * rewritten into the shortest JSON Schema (2020-12) that accepts exactly the same JSON values as zod's
 * output. The rewrites are exact for JSON input, never loosening:
 * - `anyOf` of plain typed branches whose keywords do not overlap becomes one schema with a `type` list
 *   (type-specific keywords such as `minLength` or `prefixItems` only apply to their own type);
 * - the Grist cell value (string | number | boolean | null | list starting with a type code) becomes
 *   `{not: {type: "object"}, prefixItems: [{type: "string"}], minItems: 1}`, without the description
 *   repeated at every use (add_records' description explains cell values once);
 * - `maximum: 2^53-1` / `minimum: -(2^53-1)` on integers (JSON cannot carry larger safe integers anyway),
 *   `propertyNames: {type: "string"}` (every JSON key is a string; with `minLength: 1`, dropped as below)
 *   and `type: "string"` beside an `enum` or `const` of strings are dropped;
 * - `minLength: 1` is dropped: it tells a model nothing (no one means to send an empty name), and the
 *   gateway still refuses an empty string with a message naming the field, as it refuses an unknown name.
 *   Types, required fields, enums, nesting and numeric bounds stay exact.
 * Descriptions are kept on the parameters (the root's properties), where the registry writes what the
 * nested parts look like; nested descriptions would repeat it.
 */
import { z } from 'zod';

/** A JSON Schema node. */
export type JsonSchema = Record<string, unknown>;

/** Keywords that apply to one JSON type only; anything else on a branch prevents merging. */
const TYPE_KEYWORDS: Record<string, readonly string[]> = {
  string: ['minLength', 'maxLength', 'pattern', 'format'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'],
  integer: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'],
  boolean: [],
  null: [],
  array: ['items', 'prefixItems', 'minItems', 'maxItems', 'uniqueItems'],
  object: ['properties', 'required', 'additionalProperties', 'patternProperties'],
};

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function isObject(value: unknown): value is JsonSchema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Merges `anyOf` branches `{type: T, ...keywords of T}` into one schema, or returns undefined. */
function mergeTypedBranches(branches: JsonSchema[]): JsonSchema | undefined {
  const types: string[] = [];
  const merged: JsonSchema = {};
  for (const branch of branches) {
    const branchTypes = Array.isArray(branch.type) ? (branch.type as string[]) : typeof branch.type === 'string' ? [branch.type] : undefined;
    if (!branchTypes) return undefined;
    for (const [key, value] of Object.entries(branch)) {
      if (key === 'type') continue;
      // A keyword must belong to the branch's single type, and no other branch may constrain it.
      if (branchTypes.length !== 1 || !TYPE_KEYWORDS[branchTypes[0]!]?.includes(key) || key in merged) return undefined;
      merged[key] = value;
    }
    for (const type of branchTypes) {
      if (types.includes(type)) return undefined;
      types.push(type);
    }
  }
  // Numeric keywords apply to every number, integers included: with both types they would constrain both.
  if (types.includes('integer') && types.includes('number') && TYPE_KEYWORDS.number!.some((k) => k in merged)) return undefined;
  return { type: types.length === 1 ? types[0] : types, ...merged };
}

/** Whether a schema is the Grist cell value (after merging): the five JSON kinds, lists led by a string. */
function isCellValue(schema: JsonSchema): boolean {
  const type = schema.type;
  return (
    Array.isArray(type) &&
    type.length === 5 &&
    ['string', 'number', 'boolean', 'null', 'array'].every((t) => type.includes(t)) &&
    Array.isArray(schema.prefixItems) &&
    schema.minItems === 1
  );
}

/** Rewrites one JSON Schema node (recursively) into its compact equivalent. */
export function compactSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(compactSchema);
  if (!isObject(node)) return node;
  let out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema') continue;
    if (key === 'propertyNames' && isObject(value) && value.type === 'string' && Object.keys(value).every((k) => k === 'type' || (k === 'minLength' && value[k] === 1))) continue;
    if ((key === 'maximum' && value === MAX_SAFE) || (key === 'minimum' && value === -MAX_SAFE)) continue;
    if (key === 'minLength' && value === 1) continue;
    // For an integer, `exclusiveMinimum: 0` is `minimum: 1`, said shorter.
    if (key === 'exclusiveMinimum' && value === 0 && node.type === 'integer') {
      out.minimum = 1;
      continue;
    }
    // The tuple tail `additionalItems`/`items: {}` after `prefixItems` allows anything: the default.
    if (key === 'items' && isObject(value) && Object.keys(value).length === 0 && 'prefixItems' in node) continue;
    out[key] = key === 'properties' && isObject(value)
      ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, compactSchema(sub)]))
      : compactSchema(value);
  }
  if (Array.isArray(out.anyOf) && out.anyOf.every(isObject)) {
    const merged = mergeTypedBranches(out.anyOf as JsonSchema[]);
    if (merged) {
      const { anyOf: _anyOf, ...rest } = out;
      out = { ...merged, ...rest };
    }
  }
  if (isCellValue(out)) {
    // The same values, said shorter: anything but an object; a list starts with its type code.
    const { type: _type, description: _description, ...rest } = out;
    out = { not: { type: 'object' }, ...rest };
  }
  if (out.type === 'string' && Array.isArray(out.enum) && out.enum.every((v) => typeof v === 'string')) delete out.type;
  if (out.type === 'string' && typeof out.const === 'string') delete out.type;
  return out;
}

/** Removes `description` everywhere below the given depth of properties. */
function stripDescriptions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripDescriptions);
  if (!isObject(node)) return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description') continue;
    out[key] = key === 'properties' && isObject(value)
      ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, stripDescriptions(sub)]))
      : stripDescriptions(value);
  }
  return out;
}

/** The compact JSON Schema of a tool's input (a zod object). */
export function toolInputSchema(input: z.ZodObject): JsonSchema {
  const json = compactSchema(z.toJSONSchema(input, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' })) as JsonSchema;
  const properties = isObject(json.properties) ? json.properties : {};
  const described = Object.fromEntries(
    Object.entries(properties).map(([name, property]) => {
      if (!isObject(property)) return [name, property];
      const { description, ...rest } = property;
      return [name, { ...(stripDescriptions(rest) as JsonSchema), ...(description === undefined ? {} : { description }) }];
    }),
  );
  return { ...json, properties: described };
}
