/**
 * What an agent pays in context: the tool list (JSON of the `tools/list` result for an agent with every
 * right) stays under 10,000 bytes and the get_proxy_documentation answer under 6,000 bytes, measured
 * through a real MCP client.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tokens, type TestGateway } from './helpers/gateway.js';
import { connectMcpClient } from './helpers/mcp.js';

/** Limits of issue #13. */
const TOOL_LIST_MAX_BYTES = 10_000;
const PROXY_DOCS_MAX_BYTES = 6_000;

let gw: TestGateway;
let client: Client;

beforeAll(async () => {
  gw = await startTestGateway();
  client = await connectMcpClient(gw, tokens.admin, 'size-test');
});
afterAll(async () => {
  await client?.close();
  await gw?.close();
});

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

describe('context cost', () => {
  it(`tools/list for an agent with every right is at most ${TOOL_LIST_MAX_BYTES} bytes, with 18 described tools`, async () => {
    const result = await client.listTools();
    const size = bytes(result);
    console.log(`tools/list: ${size} bytes for ${result.tools.length} tools`);
    expect(result.tools).toHaveLength(18);
    expect(size).toBeLessThanOrEqual(TOOL_LIST_MAX_BYTES);
    for (const tool of result.tools) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(20);
      for (const [name, property] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect((property as { description?: string }).description, `${tool.name}.${name}`).toMatch(/\S/);
      }
    }
  });

  it(`get_proxy_documentation answers at most ${PROXY_DOCS_MAX_BYTES} bytes, with no text sent twice`, async () => {
    const result = await client.callTool({ name: 'get_proxy_documentation', arguments: {} });
    const size = bytes(result);
    console.log(`get_proxy_documentation: ${size} bytes`);
    expect(size).toBeLessThanOrEqual(PROXY_DOCS_MAX_BYTES);
    expect(result.structuredContent).toBeUndefined();
    expect(result.content).toHaveLength(1);
  });
});
