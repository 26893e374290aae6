/**
 * One way to call any gateway method through each entry point, for tests that must hold on all of them:
 * a real MCP client (in-memory transport to the real MCP server, agent token), the JSON proxy over HTTP and
 * the typed tRPC client over HTTP (session or agent token).
 */
import { createGatewayClient } from '../../../client/src/index.js';
import { appRouter } from '../../src/routers/index.js';
import type { TestGateway } from './gateway.js';
import { connectMcpClient } from './mcp.js';

/** The outcome of one call, the same shape whatever the entry point. */
export interface CallOutcome {
  ok: boolean;
  data?: any;
  code?: string;
  message?: string;
  details?: any;
  /** Everything the caller received, as text (to search for names that must not appear). */
  text: string;
}

/** Calls a method by wire name with its input (data methods: `document` is added where needed). */
export type Caller = ((method: string, input: Record<string, unknown>) => Promise<CallOutcome>) & {
  close(): Promise<void>;
  /** MCP only: the listed tools and their descriptions. */
  tools?: string[];
  descriptions?: Record<string, string>;
};

/** Whether a method is a tRPC query or mutation. */
function kindOf(method: string): 'query' | 'mutate' {
  const procedure = (appRouter._def.procedures as Record<string, { _def: { type: string } }>)[method];
  return procedure?._def.type === 'query' ? 'query' : 'mutate';
}

/** MCP tools of an agent (in-memory transport to the real MCP server); data tools get `document`. */
export async function mcpCaller(gw: TestGateway, agentToken: string, document: string): Promise<Caller> {
  const client = await connectMcpClient(gw, agentToken, 'scope-test');
  const listed = (await client.listTools()).tools;
  const tools = listed.map((t) => t.name);
  const call = (async (method, input) => {
    if (!tools.includes(method)) return { ok: false, code: 'NO_TOOL', message: `tool ${method} is not listed`, text: '' };
    const args = ['list_documents', 'request_session_token', 'revoke_session_token', 'get_proxy_documentation'].includes(method) ? input : { document, ...input };
    const result = (await client.callTool({ name: method, arguments: args })) as { isError?: boolean; structuredContent?: any; content: { text?: string }[] };
    const text = result.content.map((c) => c.text ?? '').join('\n');
    if (result.isError) {
      const code = /^([A-Z_]+):/.exec(text)?.[1];
      return { ok: false, code, message: text, text };
    }
    return { ok: true, data: result.structuredContent, text: `${text}\n${JSON.stringify(result.structuredContent)}` };
  }) as Caller;
  call.close = () => client.close();
  call.tools = tools;
  call.descriptions = Object.fromEntries(listed.map((t) => [t.name, t.description ?? '']));
  return call;
}

/** The JSON proxy with a token. */
export function proxyCaller(gw: TestGateway, token: string): Caller {
  const call = (async (method, input) => {
    const res = await gw.proxy(token, { method, ...input });
    const text = JSON.stringify(res.body);
    if (res.status === 200 && res.body?.success) return { ok: true, data: res.body.data, text };
    return { ok: false, code: res.body?.code, message: res.body?.error, details: res.body?.details, text };
  }) as Caller;
  call.close = async () => {};
  return call;
}

/** The typed tRPC client with a token. */
export function trpcCaller(gw: TestGateway, token: string): Caller {
  const client = createGatewayClient({ url: gw.url, token, batch: false }) as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
  const call = (async (method, input) => {
    try {
      const data = await client[method]![kindOf(method)]!(input);
      return { ok: true, data, text: JSON.stringify(data) };
    } catch (err) {
      const e = err as { code?: string; message?: string; details?: unknown; data?: unknown };
      return { ok: false, code: e.code, message: e.message, details: e.details, text: JSON.stringify({ message: e.message, details: e.details, data: e.data }) };
    }
  }) as Caller;
  call.close = async () => {};
  return call;
}
