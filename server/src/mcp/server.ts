/**
 * The MCP server of one agent: every registry method as a tool, calling the tRPC router in-process.
 *
 * Data tools take `document` (the config name) besides the method's fields; a call goes through
 * `createCaller` with the agent's context, so permission checks, validation (errors name the field),
 * the per-call log line and metrics are the proxy's. Only tools the agent can use at all are listed.
 *
 * Built on the SDK's low-level `Server` so the tool list is exactly what `tools.ts` derives (compact
 * schemas, no output schemas) and input validation is the router's own.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import {
  agentMethodNames,
  dataMethodNames,
  isMethodName,
  methods,
  requiredPermissions,
  renderProxyDocumentation,
  type MethodName,
  type Permission,
  type ProxyDocumentation,
} from '@grist-gateway/shared';
import type { Agent } from '../auth/index.js';
import { createContextInner, type GatewayServices } from '../context.js';
import { usableWithScope } from '../auth/scope-guard.js';
import { GatewayError, toGatewayError } from '../errors.js';
import { createCaller } from '../routers/index.js';
import { packageVersion } from '../version.js';
import { MCP_DEFAULT_ROW_LIMIT, MCP_SQL_ROW_CAP, toolFor } from './tools.js';

export { MCP_DEFAULT_ROW_LIMIT, MCP_SQL_ROW_CAP } from './tools.js';

/** Said once, at initialisation, instead of in every tool that moves rows. */
const INSTRUCTIONS =
  'Tools for Grist documents. Start with list_documents, then list_tables and describe_table. For bulk work ' +
  '(hundreds of rows or more) do not pass rows through the conversation: call request_session_token and ' +
  'write a script against the JSON proxy (get_proxy_documentation).';

/** A successful result: the JSON as text (for clients that only read text) and as structuredContent. */
function ok(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

/** A failure: `isError` with the stable code, the message and its details. */
function failure(err: unknown): CallToolResult {
  const error = toGatewayError(err);
  const details = error.details ? ` ${JSON.stringify(error.details)}` : '';
  return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}${details}` }] };
}

/**
 * The MCP answer of a successful call. Adds grist-mcp's result keys where ours differ, so agents and
 * prompts written for grist-mcp keep working (`inserted_ids` beside `record_ids`, `modified: true`), caps
 * sql_query rows, and sends the proxy documentation once, as plain text (repeating it as structuredContent
 * would double it, and JSON would quote every line of its examples).
 */
export function toolResult(name: MethodName, data: Record<string, unknown>): CallToolResult {
  switch (name) {
    case 'add_records':
      return ok({ ...data, inserted_ids: data.record_ids });
    case 'modify_column':
      return ok({ ...data, modified: true });
    case 'sql_query':
      if (Array.isArray(data.records) && data.records.length > MCP_SQL_ROW_CAP) {
        return ok({ ...data, records: data.records.slice(0, MCP_SQL_ROW_CAP), truncated: true });
      }
      return ok(data);
    case 'get_proxy_documentation':
      return { content: [{ type: 'text', text: renderProxyDocumentation(data as ProxyDocumentation) }] };
    default:
      return ok(data);
  }
}

/**
 * Whether the agent can use a data method on at least one configured document: it holds every permission
 * the method needs there, and its table scope there leaves the method something to work on.
 */
function canAnywhere(agent: Agent, services: GatewayServices, method: MethodName, needed: readonly Permission[]): boolean {
  return services.backends
    .names()
    .some((doc) => needed.every((p) => agent.permissionsFor(doc).includes(p)) && usableWithScope(method, agent.tablesFor(doc), () => services.backends.get(doc)));
}

/** The tools an agent can use, in registry order (agent tools first). */
export function agentTools(services: GatewayServices, agent: Agent): Tool[] {
  const names: readonly MethodName[] = [...agentMethodNames, ...dataMethodNames];
  // Tell the model up front when some documents show it only some tables and columns.
  const scoped = services.backends.names().filter((doc) => agent.tablesFor(doc) !== undefined);
  const scopeNote = scoped.length === 0 ? '' : ` On ${scoped.map((d) => `"${d}"`).join(', ')} only some tables and columns exist for this agent (see list_documents).`;
  return names
    .filter((name) => {
      const def = methods[name];
      return def.permission === 'agent' || canAnywhere(agent, services, name, requiredPermissions(def) as Permission[]);
    })
    .map((name) => {
      const tool = toolFor(name);
      return scopeNote && methods[name].permission !== 'agent' ? { ...tool, description: `${tool.description ?? ''}${scopeNote}` } : tool;
    });
}

/** Builds the MCP server for one authenticated agent. */
export function buildMcpServer(services: GatewayServices, agent: Agent): Server {
  const server = new Server({ name: 'grist-gateway', version: packageVersion() }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  const caller = createCaller(createContextInner({ services, agent, entry: 'mcp' })) as unknown as Record<
    MethodName,
    (input: unknown) => Promise<Record<string, unknown>>
  >;
  const tools = agentTools(services, agent);
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const name = request.params.name;
    let args: Record<string, unknown> = request.params.arguments ?? {};
    try {
      if (!isMethodName(name)) {
        throw new GatewayError('INVALID_REQUEST', `Unknown tool: ${name} (tools: ${tools.map((t) => t.name).join(', ')})`);
      }
      if (name === 'get_records' && args.limit === undefined) args = { ...args, limit: MCP_DEFAULT_ROW_LIMIT };
      return toolResult(name, await caller[name](args));
    } catch (err) {
      return failure(err);
    }
  });
  return server;
}
