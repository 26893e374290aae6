import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, parseLogFormat, parseLogLevel, secretPrefix } from './log.js';
import { formatPrettyLine, prettyDestination } from './observability/pretty.js';

describe('secretPrefix', () => {
  it('shows at most the first characters of a secret', () => {
    expect(secretPrefix('sess_abcdefghijklmnop')).toBe('sess_abc…');
    expect(secretPrefix('short')).toBe('…');
    expect(secretPrefix('gga_0123456789', 4)).toBe('gga_…');
  });
});

describe('LOG_LEVEL', () => {
  it("takes pino's and grist-mcp's names in any case", () => {
    expect(parseLogLevel('WARNING')).toBe('warn');
    expect(parseLogLevel('warn')).toBe('warn');
    expect(parseLogLevel('DEBUG')).toBe('debug');
    expect(parseLogLevel('Info')).toBe('info');
    expect(parseLogLevel('ERROR')).toBe('error');
    expect(parseLogLevel('CRITICAL')).toBe('fatal');
    expect(parseLogLevel(' silent ')).toBe('silent');
  });

  it('refuses anything else, naming the variable and the accepted names', () => {
    expect(() => parseLogLevel('verbose')).toThrow(/^LOG_LEVEL: "verbose" is not a log level \(use one of trace, debug, info, warn or warning/);
    expect(() => createLogger({ env: { LOG_LEVEL: 'loud' } })).toThrow(/LOG_LEVEL: "loud"/);
  });

  it('sets the level of the logger', () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
    const logger = createLogger({ env: { LOG_LEVEL: 'WARNING' }, format: 'json', destination });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.join('')).not.toContain('hidden');
    expect(JSON.parse(lines.join(''))).toMatchObject({ level: 40, msg: 'shown' });
  });
});

describe('LOG_FORMAT', () => {
  it('is pretty on a terminal and JSON otherwise, unless set', () => {
    expect(parseLogFormat(undefined, true)).toBe('pretty');
    expect(parseLogFormat(undefined, false)).toBe('json');
    expect(parseLogFormat('PRETTY', false)).toBe('pretty');
    expect(parseLogFormat('json', true)).toBe('json');
    expect(() => parseLogFormat('xml', false)).toThrow('LOG_FORMAT: "xml" is not a log format (use json or pretty)');
  });

  it('pretty prints one readable line per event, with the stack of an error', () => {
    const line = formatPrettyLine(
      JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 1, 10, 42, 7, 123), service: 'grist-gateway', msg: 'call', entry: 'mcp', agent: 'ops agent', document: 'main', rows: 3, status: 'ok' }),
    );
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  call entry=mcp agent="ops agent" document=main rows=3 status=ok\n$/);
    const error = formatPrettyLine(JSON.stringify({ level: 50, time: 0, msg: 'boom', err: { message: 'x', stack: 'Error: x\n    at f (a.ts:1:1)' } }));
    expect(error).toContain('ERROR boom\n    Error: x\n        at f (a.ts:1:1)\n');
    expect(formatPrettyLine('not json')).toBe('not json\n');
  });

  it('writes pretty lines through pino', () => {
    const out: string[] = [];
    const logger = createLogger({ level: 'info', destination: prettyDestination({ write: (t) => out.push(t) }) });
    logger.info({ method: 'list_tables' }, 'call');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/ INFO  call method=list_tables\n$/);
  });
});
