/**
 * `grist-gateway <command>`: `serve` (HTTP gateway), `token` (a new agent token for the config), `help`.
 * Human-facing output goes to stderr except what a command exists to print (`token`), so stdout stays
 * clean for the stdio MCP transport and for scripts.
 */
import { parseArgs } from 'node:util';
import { VERSION } from '../version.js';

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
  version  Print the version (also --version).
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
        // Each command's module is imported on demand (packaging, #16): `--version` and `help` must not pay
        // for loading the MCP SDK, hono or better-sqlite3.
        const { runServe } = await import('./serve.js');
        return await runServe(values);
      }
      case 'mcp': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } }, strict: true });
        const { runMcp } = await import('./mcp.js');
        return await runMcp(values);
      }
      case 'token':
        parseArgs({ args: rest, options: {}, strict: true });
        return (await import('./token.js')).runToken();
      case '--version':
      case 'version':
        process.stdout.write(`${VERSION}\n`);
        return 0;
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
