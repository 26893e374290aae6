/**
 * `grist-gateway <command>`: `serve` (the HTTP gateway), `mcp` (MCP over stdio), `token` (a new agent
 * token for the config), `types` (TypeScript types of a document for the typed client). `--help` works on the program and on every command; `--version` prints the
 * package version.
 *
 * Human-facing output goes to stderr except what a command exists to print (`token`, `--version`,
 * `--help`), so stdout stays clean for the stdio MCP transport and for scripts.
 *
 * To add a command, declare it (see `command.ts`) and add it to {@link COMMANDS}.
 */
import { commandHelp, parseCommandArgs, type Command } from './command.js';
import { mcpCommand } from './mcp.js';
import { serveCommand } from './serve.js';
import { tokenCommand } from './token.js';
import { typesCommand } from './types.js';
import { packageVersion } from '../version.js';

/** Every command, in the order the usage lists them. */
const COMMANDS: readonly Command[] = [
  serveCommand,
  mcpCommand,
  tokenCommand,
  typesCommand,
];

/** The program's usage: its commands and global options. */
function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'Usage: grist-gateway <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
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
      process.stderr.write(usage());
      return 1;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
      if (topic?.runArgs) return await topic.runArgs(['--help']);
      process.stdout.write(topic ? commandHelp(topic) : usage());
      return 0;
    }
    if (name === '--version' || name === '-v' || name === '-V') {
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) {
      process.stderr.write(`Unknown command "${name}".\n\n${usage()}`);
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
