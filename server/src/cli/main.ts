/**
 * `grist-gateway <command>`: `serve` (the HTTP gateway), `mcp` (MCP over stdio), `token` (a new agent
 * token for the config), `types` (TypeScript types of a document for the typed client). `--help`
 * works on the program and on every command; `--version` prints the package version.
 *
 * Human-facing output goes to stderr except what a command exists to print (`token`, `--version`,
 * `--help`), so stdout stays clean for the stdio MCP transport and for scripts.
 *
 * To add a command, declare it (see `command.ts`) and add its loader to {@link COMMANDS}.
 */
import { commandHelp, parseCommandArgs, type Command } from './command.js';
import { VERSION } from '../version.js';

/**
 * Every command, in the order the usage lists them. Each module is imported only when needed, so
 * `--version` and a stdio `mcp` do not pay for loading what other commands use (hono, the Grist REST API).
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => (await import('./serve.js')).serveCommand,
  mcp: async () => (await import('./mcp.js')).mcpCommand,
  token: async () => (await import('./token.js')).tokenCommand,
  types: async () => (await import('./types.js')).typesCommand,
};

/** Loads one command by name, or undefined when there is none. */
function loadCommand(name: string | undefined): Promise<Command> | undefined {
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name]!() : undefined;
}

/** The program's usage: its commands and global options. */
async function usage(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'Usage: grist-gateway <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options:',
    '  -h, --help     Show this help (grist-gateway <command> --help for a command\'s options).',
    '  -v, --version  Print the version.',
    '',
  ].join('\n');
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined) {
      process.stderr.write(await usage());
      return 1;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? await loadCommand(rest[0]) : undefined;
      if (topic?.runArgs) return await topic.runArgs(['--help']);
      process.stdout.write(topic ? commandHelp(topic) : await usage());
      return 0;
    }
    if (name === '--version' || name === '-v' || name === '-V' || name === 'version') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const command = await loadCommand(name);
    if (!command) {
      process.stderr.write(`Unknown command "${name}".\n\n${await usage()}`);
      return 1;
    }
    if (command.runArgs) return await command.runArgs(rest);
    const { help, values } = parseCommandArgs(command, rest);
    if (help) {
      process.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(values);
  } catch (err) {
    process.stderr.write(`grist-gateway: ${(err as Error).message}\n`);
    return 1;
  }
}
