/**
 * MCP over stdio (`grist-gateway mcp`): one agent, token from `GRIST_GATEWAY_TOKEN` (or grist-mcp's
 * `GRIST_MCP_TOKEN`). stdout carries only the protocol; logs go to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { GatewayServices } from '../context.js';
import { buildMcpServer } from './server.js';

/** Serves MCP on stdin/stdout until the client disconnects. */
export async function serveStdio(services: GatewayServices, token: string): Promise<void> {
  const agent = services.agents.authenticate(token);
  if (!agent) throw new Error('GRIST_GATEWAY_TOKEN is not a valid agent token for this config');
  const server = buildMcpServer(services, agent);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  services.logger.info({ agent: agent.name, transport: 'stdio' }, 'mcp server ready');
  await closed;
  await server.close();
}
