/**
 * The human-readable log format (`LOG_FORMAT=pretty`, the default on a terminal): one line per event,
 *
 *   10:42:07.123 INFO  call entry=mcp agent=reporting-agent document=sales method=get_records rows=50 status=ok durationMs=3.2
 *
 * A pino destination that reformats each JSON line pino writes; errors get their stack on the lines
 * below. Written in-house (a few lines) rather than with a pretty-printing transport, which would add a
 * worker thread and several dependencies to every installation.
 */
import type { DestinationStream } from 'pino';

/** pino's numeric levels and their labels. */
const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** ANSI colours of the level labels. */
const LEVEL_COLORS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };

/** Fields every line has, shown in their own place (or not at all). */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'err']);

/** Options of {@link prettyDestination}. */
export interface PrettyOptions {
  /** Colour the level labels (a terminal that wants it). */
  color?: boolean;
  /** Where lines go (default: stderr). */
  write?: (text: string) => void;
}

/** A value as `key=value` shows it: strings bare unless they contain spaces, the rest as JSON. */
function show(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** `HH:MM:SS.mmm` in local time. */
function clock(time: unknown): string {
  const date = typeof time === 'number' ? new Date(time) : new Date();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** Formats one pino JSON line as a readable line (the line itself when it is not JSON). */
export function formatPrettyLine(json: string, color = false): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = typeof event.level === 'number' ? event.level : 30;
  const name = (LEVEL_NAMES[level] ?? String(level)).padEnd(5);
  const label = color ? `\x1b[${LEVEL_COLORS[level] ?? '0'}m${name}\x1b[0m` : name;
  const fields = Object.entries(event)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined && value !== null)
    .map(([key, value]) => `${key}=${show(value)}`);
  let line = [clock(event.time), label, String(event.msg ?? ''), ...fields].filter((part) => part !== '').join(' ');
  const err = event.err as { message?: unknown; stack?: unknown } | undefined;
  if (err && typeof err === 'object') {
    const detail = typeof err.stack === 'string' ? err.stack : String(err.message ?? '');
    if (detail) line += `\n    ${detail.split('\n').join('\n    ')}`;
  }
  return `${line}\n`;
}

/** A pino destination writing {@link formatPrettyLine} lines (to stderr by default). */
export function prettyDestination(options: PrettyOptions = {}): DestinationStream {
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line.trim() !== '') write(formatPrettyLine(line, options.color === true));
    },
  };
}
