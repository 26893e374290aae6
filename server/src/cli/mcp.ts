/** `grist-gateway mcp`: MCP over stdio for one agent. */
import { loadConfig, resolveConfigPath } from '../config/index.js';
import { createGatewayServices } from '../services.js';
import { createLogger } from '../log.js';
import { serveStdio } from '../mcp/stdio.js';
import { LOG_ENV, type Command } from './command.js';

/** Runs the stdio MCP server; resolves to the exit code when the client disconnects. */
export async function runMcp(flags: { config?: string }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const token = env.GRIST_GATEWAY_TOKEN ?? env.GRIST_MCP_TOKEN;
  if (!token) throw new Error('Set GRIST_GATEWAY_TOKEN to the agent token to serve MCP on stdio');
  // The logger first: a bad LOG_LEVEL stops here with a clear message.
  const logger = createLogger({ env });
  // Never creates a config: an MCP client starts this command, and a missing file is a mistake to report.
  const config = loadConfig(resolveConfigPath({ flag: flags.config, env, cwd: process.cwd() }), env);
  // Logs (one line per tool call, at info) go to stderr only: stdout belongs to the protocol.
  // The services alone: stdio needs no HTTP app, so hono and the HTTP transports are never loaded.
  const gateway = createGatewayServices(config, { logger });
  try {
    await serveStdio(gateway.services, token);
  } finally {
    await gateway.close();
    logger.flush();
  }
  return 0;
}

/** The `mcp` command. */
export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'Serve MCP on stdio for one agent (token from GRIST_GATEWAY_TOKEN).',
  description:
    'Serves the MCP tools on stdin/stdout for the agent whose token is in GRIST_GATEWAY_TOKEN; an MCP client ' +
    'starts this command itself. stdout carries only the protocol; logs, one line per tool call, go to stderr. ' +
    'The config file must exist (nothing is created).',
  options: [{ name: 'config', value: '<path>', description: 'Config file.', env: 'CONFIG_PATH', default: './grist-gateway.yaml' }],
  env: [
    { name: 'GRIST_GATEWAY_TOKEN', description: "The agent's token (required; grist-mcp's GRIST_MCP_TOKEN also works)." },
    { name: 'GRIST_GATEWAY_PUBLIC_URL', description: "Absolute base URL scripts should use, reported in proxy_url (or grist-mcp's GRIST_MCP_URL)." },
    ...LOG_ENV,
  ],
  run: (values) => runMcp({ config: values.config as string | undefined }),
};
