/**
 * A real MCP client connected to the gateway's MCP server for one agent token, over the SDK's in-memory
 * transport (no HTTP), as the tests of tools and their results need it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { buildMcpServer } from '../../src/mcp/server.js';
import type { TestGateway } from './gateway.js';

/** Connects a new MCP client as the agent of `agentToken`; throws when the token is not an agent's. */
export async function connectMcpClient(gw: TestGateway, agentToken: string, name = 'test'): Promise<Client> {
  const agent = gw.gateway.services.agents.authenticate(agentToken);
  if (!agent) throw new Error('bad test token');
  const server = buildMcpServer(gw.gateway.services, agent);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}
