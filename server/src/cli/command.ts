/**
 * What a CLI subcommand declares: its name, what it does, its options (each with its default and the
 * environment variable it falls back to), and how it runs. `main.ts` parses the options and answers
 * `--help` for every command from this one declaration.
 */
import { parseArgs } from 'node:util';

/** One command-line option. */
export interface OptionSpec {
  /** Long name, without the dashes (`config` for `--config`). */
  name: string;
  /** What it takes (`<path>`); absent for a flag. */
  value?: string;
  /** What it does. */
  description: string;
  /** The value used when neither the option nor its environment variable is given. */
  default?: string;
  /** The environment variable read when the option is not given. */
  env?: string;
}

/** An environment variable a command reads that has no option. */
export interface EnvSpec {
  name: string;
  description: string;
}

/** A subcommand of `grist-gateway`. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** A paragraph for `<command> --help`. */
  description: string;
  options: readonly OptionSpec[];
  /** Other environment variables it reads. */
  env?: readonly EnvSpec[];
  /** Runs the command with the parsed option values; resolves to the exit code. */
  run(values: Record<string, string | boolean | undefined>): Promise<number> | number;
  /**
   * For a command shared with another program (`types`, also the client package's bin): it parses its
   * own arguments and answers its own `--help`, so both programs say the same.
   */
  runArgs?(args: string[]): Promise<number>;
}

/** Environment variables every command that logs reads. */
export const LOG_ENV: readonly EnvSpec[] = [
  { name: 'LOG_LEVEL', description: 'trace, debug, info (default), warn or warning, error, fatal or critical, silent; any case.' },
  { name: 'LOG_FORMAT', description: 'pretty (default on a terminal) or json (default otherwise).' },
];

/** Parses a command's arguments; throws a clear error for unknown options or missing values. */
export function parseCommandArgs(command: Command, args: string[]): { help: boolean; values: Record<string, string | boolean | undefined> } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const option of command.options) options[option.name] = { type: option.value ? 'string' : 'boolean' };
  try {
    const { values } = parseArgs({ args, options, strict: true, allowPositionals: false });
    const { help, ...rest } = values;
    return { help: help === true, values: rest };
  } catch (err) {
    // node:util's messages name the option ("Unknown option '--port'"); add where to look.
    throw new Error(`${(err as Error).message}. See: grist-gateway ${command.name} --help`);
  }
}

/** Wraps `text` at `width` columns, indenting continuation lines by `indent`. */
function wrap(text: string, width: number, indent: number): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && line.length + 1 + word.length > width - indent) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** The `--help` text of a command. */
export function commandHelp(command: Command): string {
  const rows = [
    ...command.options.map((o) => {
      const extra = [o.env ? `Env: ${o.env}.` : '', o.default !== undefined ? `Default: ${o.default}.` : ''].filter(Boolean).join(' ');
      return [`--${o.name}${o.value ? ` ${o.value}` : ''}`, `${o.description}${extra ? ` ${extra}` : ''}`];
    }),
    ['-h, --help', 'Show this help.'],
  ];
  const left = Math.max(...rows.map(([name]) => name!.length)) + 2;
  const lines = [
    `Usage: grist-gateway ${command.name}${command.options.length > 0 ? ' [options]' : ''}`,
    '',
    wrap(command.description, 100, 0),
    '',
    'Options:',
    ...rows.map(([name, text]) => `  ${name!.padEnd(left)}${wrap(text!, 100, left + 2)}`),
  ];
  if (command.env && command.env.length > 0) {
    const width = Math.max(...command.env.map((e) => e.name.length)) + 2;
    lines.push('', 'Environment:', ...command.env.map((e) => `  ${e.name.padEnd(width)}${wrap(e.description, 100, width + 2)}`));
  }
  return `${lines.join('\n')}\n`;
}
