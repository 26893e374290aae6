/**
 * The MCP server of one agent: every registry method as a tool, calling the tRPC router in-process.
 *
 * Data tools take `document` (the config name) besides the method's fields; a call builds the agent's grant
 * for that document and goes through `createCaller`, so permission checks, validation and errors are the
 * proxy's. Only tools the agent can use at all are listed.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { agentMethodNames, dataMethodNames, methods, requiredPermissions, type MethodDefinition, type MethodName, type Permission } from '@grist-gateway/shared';
import { z } from 'zod';
import type { Agent } from '../auth/index.js';
import { createContextInner, type GatewayServices } from '../context.js';
import { toGatewayError } from '../errors.js';
import { createCaller } from '../routers/index.js';

/** Rows a get_records tool call returns when the agent gives no limit (keeps the model's context small). */
export const MCP_DEFAULT_ROW_LIMIT = 100;
/** Rows of a sql_query result that go into the model's context. */
export const MCP_SQL_ROW_CAP = 200;

/** Version reported to MCP clients. */
const VERSION = '0.1.0';

const documentArg = z
  .string()
  .min(1)
  .describe('Document name (see list_documents).');

/** Hints added to tool descriptions so agents take the cheap path for bulk work. */
const BULK_HINT =
  '\n\nFor bulk work (more than a few hundred rows), do not pass the rows through this conversation: call ' +
  'request_session_token and write a script that uses the proxy (see get_proxy_documentation).';

/** The tool's input: the method's fields, with `document` required for data methods. */
function toolInput(def: MethodDefinition): z.ZodObject {
  if (def.permission === 'agent') return def.input;
  return def.input.extend({ document: documentArg });
}

/** Turns a successful result into a tool result (structured + the same JSON as text). */
function ok(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

/** Turns a failure into an `isError` result naming the code and what to do. */
function failure(err: unknown): CallToolResult {
  const error = toGatewayError(err);
  const details = error.details ? ` ${JSON.stringify(error.details)}` : '';
  return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}${details}` }] };
}

/** Whether the agent holds every one of `needed` on at least one configured document. */
function canAnywhere(agent: Agent, services: GatewayServices, needed: readonly Permission[]): boolean {
  return services.backends.names().some((doc) => needed.every((p) => agent.permissionsFor(doc).includes(p)));
}

/** Builds the MCP server for one authenticated agent. */
export function buildMcpServer(services: GatewayServices, agent: Agent, entry: 'mcp' = 'mcp'): McpServer {
  const server = new McpServer(
    { name: 'grist-gateway', version: VERSION },
    { instructions: 'Tools for Grist documents. Start with list_documents, then list_tables / describe_table.' },
  );
  const caller = createCaller(createContextInner({ services, agent, entry })) as unknown as Record<
    MethodName,
    (input: unknown) => Promise<Record<string, unknown>>
  >;
  const names: readonly MethodName[] = [...agentMethodNames, ...dataMethodNames];
  for (const name of names) {
    const def = methods[name] as MethodDefinition;
    if (def.permission !== 'agent' && !canAnywhere(agent, services, requiredPermissions(def) as Permission[])) continue;
    const bulk = name === 'get_records' || name === 'sql_query' || name === 'add_records' || name === 'update_records';
    server.registerTool(
      name,
      {
        title: def.title,
        description: def.description + (bulk ? BULK_HINT : ''),
        inputSchema: toolInput(def),
        outputSchema: name === 'sql_query' ? def.output.extend({ truncated: z.boolean().optional().describe('True when rows were left out.') }) : def.output,
        annotations: { title: def.title, ...def.annotations },
      },
      async (args: Record<string, unknown>) => {
        try {
          if (name === 'get_records' && args.limit === undefined) args = { ...args, limit: MCP_DEFAULT_ROW_LIMIT };
          const data = await caller[name](args);
          if (name === 'sql_query' && Array.isArray(data.records) && data.records.length > MCP_SQL_ROW_CAP) {
            return ok({ ...data, records: data.records.slice(0, MCP_SQL_ROW_CAP), truncated: true });
          }
          return ok(data);
        } catch (err) {
          return failure(err);
        }
      },
    );
  }
  return server;
}
