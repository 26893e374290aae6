/**
 * The MCP tool list, derived from the method registry and kept small: an agent pays for `tools/list` in
 * its context on every conversation (the size test in server/test/mcp-size.test.ts holds it under
 * 10,000 bytes for an agent with every right).
 *
 * - Input schemas are exact but compact (see `schema.ts`); data tools require `document`.
 * - No `outputSchema`: each description says what comes back, and results still carry
 *   `structuredContent`. No `title`: clients show the name, which says the same.
 * - Annotations carry the hints clients act on (read-only, destructive, idempotent) and omit those equal
 *   to the MCP defaults: read-only tools send no destructive or idempotent hint (the specification says
 *   they only matter for tools that write), and `openWorldHint` is left at its default.
 */
import { methods, type MethodAnnotations, type MethodDefinition, type MethodName } from '@grist-gateway/shared';
import type { Tool, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { toolInputSchema } from './schema.js';

/** Rows a get_records tool call returns when the agent gives no limit (keeps the model's context small). */
export const MCP_DEFAULT_ROW_LIMIT = 100;
/** Rows of a sql_query result that go into the model's context. */
export const MCP_SQL_ROW_CAP = 200;

/** `document` as a required tool argument (optional on the proxy, where a session token fixes it). */
const documentArg = z.string().min(1).describe('Document name.');

/** What an MCP call does differently from the proxy, said once in the tool that does it. */
const MCP_NOTES: Partial<Record<MethodName, string>> = {
  get_records: `Without limit at most ${MCP_DEFAULT_ROW_LIMIT} rows.`,
  sql_query: `At most ${MCP_SQL_ROW_CAP} rows (then truncated: true).`,
};

/** The method's description with its MCP note, placed before the example. */
function describe(name: MethodName, description: string): string {
  const note = MCP_NOTES[name];
  if (!note) return description;
  const at = description.indexOf('Example:');
  return at < 0 ? `${description} ${note}` : `${description.slice(0, at)}${note} ${description.slice(at)}`;
}

/** The annotations an MCP client acts on, only where they differ from the specification's defaults. */
export function compactAnnotations(a: MethodAnnotations): ToolAnnotations {
  const out: ToolAnnotations = {};
  if (a.readOnlyHint) out.readOnlyHint = true;
  else {
    if (!a.destructiveHint) out.destructiveHint = false;
    if (a.idempotentHint) out.idempotentHint = true;
  }
  return out;
}

/** The tool's input: the method's fields, with `document` required for data methods. */
function toolInput(def: MethodDefinition): z.ZodObject {
  if (def.permission === 'agent') return def.input;
  return def.input.extend({ document: documentArg });
}

/** The MCP tool of one method. */
function buildTool(name: MethodName): Tool {
  const def = methods[name] as unknown as MethodDefinition;
  return {
    name,
    description: describe(name, def.description),
    inputSchema: toolInputSchema(toolInput(def)) as Tool['inputSchema'],
    annotations: compactAnnotations(def.annotations),
  };
}

const cache = new Map<MethodName, Tool>();

/** The MCP tool of a method (built once per process: it does not depend on the agent). */
export function toolFor(name: MethodName): Tool {
  let tool = cache.get(name);
  if (!tool) {
    tool = buildTool(name);
    cache.set(name, tool);
  }
  return tool;
}
