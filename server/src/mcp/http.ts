/**
 * MCP over HTTP: Streamable HTTP at `/mcp` (stateless: a new server + transport per request) and the
 * legacy SSE transport (`GET /sse` + `POST /messages`) for clients configured for the Python grist-mcp.
 * The agent token is checked before the MCP layer: a missing or bad one is HTTP 401 with
 * `WWW-Authenticate`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Context as HonoContext, Hono } from 'hono';
import type { Agent } from '../auth/index.js';
import { SESSION_TOKEN_PREFIX } from '../auth/tokens.js';
import { bearerToken, type GatewayServices } from '../context.js';
import { buildMcpServer } from './server.js';

/** Node bindings @hono/node-server puts in `c.env`. */
interface NodeBindings {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

/** Authenticates the agent of an MCP request, or answers 401. */
function authenticate(services: GatewayServices, c: HonoContext): Agent | Response {
  const token = bearerToken(c.req.header('authorization'));
  const challenge = { 'WWW-Authenticate': 'Bearer realm="grist-gateway"' };
  if (!token) return c.json({ error: 'Missing Authorization: Bearer <agent token>', code: 'INVALID_TOKEN' }, 401, challenge);
  if (token.startsWith(SESSION_TOKEN_PREFIX)) {
    return c.json(
      { error: 'MCP needs an agent token; session tokens (sess_...) are for scripts and the JSON proxy', code: 'INVALID_TOKEN' },
      401,
      { 'WWW-Authenticate': 'Bearer realm="grist-gateway", error="invalid_token"' },
    );
  }
  const agent = services.agents.authenticate(token);
  if (!agent) return c.json({ error: 'Invalid token', code: 'INVALID_TOKEN' }, 401, { 'WWW-Authenticate': 'Bearer realm="grist-gateway", error="invalid_token"' });
  return agent;
}

/** Mounts `/mcp`, `/sse` and `/messages` on the app. */
export function mountMcp(app: Hono, services: GatewayServices): void {
  app.all('/mcp', async (c) => {
    const agent = authenticate(services, c);
    if (agent instanceof Response) return agent;
    if (c.req.method !== 'POST') {
      return c.json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this stateless endpoint takes POST only' }, id: null }, 405, { Allow: 'POST' });
    }
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    const server = buildMcpServer(services, agent);
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      void server.close();
    }
  });

  // Legacy SSE: one long-lived GET stream per client, messages posted to /messages?sessionId=...
  const sseSessions = new Map<string, { transport: SSEServerTransport; agentName: string }>();
  app.get('/sse', async (c) => {
    const agent = authenticate(services, c);
    if (agent instanceof Response) return agent;
    const env = c.env as NodeBindings | undefined;
    if (!env?.outgoing) return c.json({ error: 'SSE needs the Node.js server', code: 'INTERNAL_ERROR' }, 500);
    const transport = new SSEServerTransport('/messages', env.outgoing);
    sseSessions.set(transport.sessionId, { transport, agentName: agent.name });
    transport.onclose = () => sseSessions.delete(transport.sessionId);
    env.outgoing.on('close', () => sseSessions.delete(transport.sessionId));
    await buildMcpServer(services, agent).connect(transport);
    return RESPONSE_ALREADY_SENT;
  });
  app.post('/messages', async (c) => {
    const agent = authenticate(services, c);
    if (agent instanceof Response) return agent;
    const sessionId = c.req.query('sessionId') ?? '';
    const session = sseSessions.get(sessionId);
    if (!session || session.agentName !== agent.name) {
      return c.json({ error: `Unknown SSE session "${sessionId.slice(0, 8)}": open GET /sse first`, code: 'NOT_FOUND' }, 404);
    }
    const env = c.env as NodeBindings;
    await session.transport.handlePostMessage(env.incoming, env.outgoing);
    return RESPONSE_ALREADY_SENT;
  });
}
