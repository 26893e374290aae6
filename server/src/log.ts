/**
 * Structured logging (pino). Logs always go to stderr: on the stdio MCP transport stdout carries only
 * the protocol, and keeping one destination everywhere avoids surprises.
 *
 * - `LOG_LEVEL` takes pino's level names and grist-mcp's (Python's) in any case: `trace`, `debug`, `info`,
 *   `warn`/`warning`, `error`, `fatal`/`critical`, `silent`. Anything else is refused with the list.
 * - `LOG_FORMAT`: `pretty` (one readable line per event) or `json` (one JSON object per line, for log
 *   collectors); by default pretty when stderr is a terminal, JSON otherwise.
 *
 * Never log a token or an API key: call logs carry the agent's name, the document, the method, counts,
 * status and duration; authorization headers are redacted by configuration as a second line of defence.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { prettyDestination } from './observability/pretty.js';

export type { Logger };

/** pino's level names, in increasing severity, plus `silent`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** A pino level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** grist-mcp's (Python logging's) names for pino's levels. */
const LEVEL_ALIASES: Record<string, LogLevel> = { warning: 'warn', critical: 'fatal' };

/** How log lines are written. */
export type LogFormat = 'json' | 'pretty';

/**
 * Reads a log level name in any case (`WARNING`, `Debug`, `info`, ...). Throws an error naming the
 * variable and the accepted names for anything else.
 */
export function parseLogLevel(value: string, source = 'LOG_LEVEL'): LogLevel {
  const name = value.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(name)) return name as LogLevel;
  const alias = LEVEL_ALIASES[name];
  if (alias) return alias;
  throw new Error(
    `${source}: "${value}" is not a log level (use one of trace, debug, info, warn or warning, error, fatal or critical, silent; any case)`,
  );
}

/** Reads `LOG_FORMAT` (`json` or `pretty`, any case); unset means pretty on a terminal, JSON otherwise. */
export function parseLogFormat(value: string | undefined, isTerminal: boolean, source = 'LOG_FORMAT'): LogFormat {
  if (value === undefined || value.trim() === '') return isTerminal ? 'pretty' : 'json';
  const name = value.trim().toLowerCase();
  if (name === 'json' || name === 'pretty') return name;
  throw new Error(`${source}: "${value}" is not a log format (use json or pretty)`);
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Level name (any accepted form); defaults to `env.LOG_LEVEL`, else `defaultLevel`. */
  level?: string;
  /** Level when neither `level` nor `LOG_LEVEL` is given (default `info`). */
  defaultLevel?: LogLevel;
  /** Line format; defaults to `env.LOG_FORMAT`, else pretty on a terminal and JSON otherwise. */
  format?: LogFormat;
  /** Where `LOG_LEVEL` and `LOG_FORMAT` are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Destination instead of stderr (tests). */
  destination?: DestinationStream;
}

/**
 * Creates the gateway's logger, writing to stderr. Throws when `LOG_LEVEL` or `LOG_FORMAT` holds a value
 * it does not know, so a typo stops startup with a clear message instead of logging nothing.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const levelText = options.level ?? (env.LOG_LEVEL?.trim() ? env.LOG_LEVEL : undefined);
  const level = levelText === undefined ? (options.defaultLevel ?? 'info') : parseLogLevel(levelText);
  const format = options.format ?? parseLogFormat(env.LOG_FORMAT, process.stderr.isTTY === true);
  const destination =
    options.destination ??
    (format === 'pretty' ? prettyDestination({ color: process.stderr.isTTY === true && !env.NO_COLOR }) : pino.destination({ fd: 2, sync: false }));
  return pino(
    {
      level,
      base: { service: 'grist-gateway' },
      redact: {
        paths: ['authorization', 'headers.authorization', 'token', 'apiKey', 'api_key', '*.token', '*.apiKey'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** A logger that drops everything (for tests and embedded use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** The first characters of a secret, safe to show in a message (`sess_abc…`). */
export function secretPrefix(secret: string, length = 8): string {
  return secret.length <= length ? '…' : `${secret.slice(0, length)}…`;
}
