/** `grist-gateway mcp`: MCP over stdio for one agent. */
import { loadConfig, resolveConfigPath } from '../config/index.js';
import { createGateway } from '../gateway.js';
import { createLogger } from '../log.js';
import { serveStdio } from '../mcp/stdio.js';

/** Runs the stdio MCP server; resolves to the exit code when the client disconnects. */
export async function runMcp(flags: { config?: string }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const token = env.GRIST_GATEWAY_TOKEN ?? env.GRIST_MCP_TOKEN;
  if (!token) throw new Error('Set GRIST_GATEWAY_TOKEN to the agent token to serve MCP on stdio');
  const configPath = resolveConfigPath({ flag: flags.config, env, cwd: process.cwd() });
  const config = loadConfig(configPath, env);
  // Logs on stderr only: stdout belongs to the protocol.
  const gateway = createGateway(config, { logger: createLogger({ level: env.LOG_LEVEL ?? 'warn' }) });
  try {
    await serveStdio(gateway.services, token);
  } finally {
    await gateway.close();
  }
  return 0;
}
