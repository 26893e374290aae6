/**
 * Structured logging (pino). Logs always go to stderr: on the stdio MCP transport stdout carries only
 * the protocol, and keeping one destination everywhere avoids surprises.
 *
 * Never log a token or an API key: request logs carry the agent's name, the document, the method, counts,
 * status and duration; authorization headers are redacted by configuration as a second line of defence.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** pino level; defaults to `LOG_LEVEL` or `info`. `silent` turns logging off (tests). */
  level?: string;
}

/** Creates the gateway's logger, writing JSON lines to stderr. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'grist-gateway' },
      redact: {
        paths: ['authorization', 'headers.authorization', 'token', 'apiKey', 'api_key', '*.token', '*.apiKey'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: false }),
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
