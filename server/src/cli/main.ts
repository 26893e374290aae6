/**
 * `grist-gateway <command>`: `serve` (HTTP gateway), `token` (a new agent token for the config), `help`.
 * Human-facing output goes to stderr except what a command exists to print (`token`), so stdout stays
 * clean for the stdio MCP transport and for scripts.
 */
import { parseArgs } from 'node:util';
import { runMcp } from './mcp.js';
import { runServe } from './serve.js';
import { runToken } from './token.js';
import { runTypes } from './types.js';

const USAGE = `Usage: grist-gateway <command> [options]

Commands:
  serve    Run the HTTP gateway (tRPC, JSON proxy, attachments, OpenAPI, Grist REST API if configured).
           --config <path>  config file (else CONFIG_PATH, else ./grist-gateway.yaml; created with a demo
                            document when missing)
           --port <n>       port (else PORT, else 3000)
           --host <addr>    address to listen on (else HOST, else 127.0.0.1)
  mcp      Serve MCP on stdio for one agent (token from GRIST_GATEWAY_TOKEN).
           --config <path>  config file (as for serve)
  token    Print a new agent token and the token_sha256 line to put in the config.
  types    Write the TypeScript types of a document for the typed client (types --help).
  help     Show this help.
`;

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve': {
        const { values } = parseArgs({
          args: rest,
          options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
          strict: true,
        });
        return await runServe(values);
      }
      case 'mcp': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } }, strict: true });
        return await runMcp(values);
      }
      case 'types':
        return await runTypes(rest);
      case 'token':
        parseArgs({ args: rest, options: {}, strict: true });
        return runToken();
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stderr.write(USAGE);
        return command === undefined ? 1 : 0;
      default:
        process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
        return 1;
    }
  } catch (err) {
    process.stderr.write(`grist-gateway: ${(err as Error).message}\n`);
    return 1;
  }
}
