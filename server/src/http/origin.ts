/**
 * DNS-rebinding protection for the MCP endpoints (`/mcp`, `/sse`, `/messages`), as the MCP specification
 * requires of HTTP servers: a browser page from another site must not reach a gateway listening on the
 * user's machine.
 *
 * - `Origin`: absent (non-browser clients send none) or one of `allowed_origins` (config; default: the
 *   loopback origins `http(s)://localhost`, `127.0.0.1` and `[::1]` on any port).
 * - `Host`: when the request arrived on a loopback address, the Host header must name a loopback host or
 *   the host of an allowed origin (or of `public_url`); a rebinding page sends its own domain there.
 */
import type { IncomingMessage } from 'node:http';
import type { Context as HonoContext, MiddlewareHandler } from 'hono';

/** Origins allowed when the config names none: the loopback ones, any port. */
export const defaultAllowedOrigins: readonly string[] = [
  'http://localhost:*',
  'https://localhost:*',
  'http://127.0.0.1:*',
  'https://127.0.0.1:*',
  'http://[::1]:*',
  'https://[::1]:*',
];

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** One allowed origin: exact, or with `:*` for any port. */
interface OriginPattern {
  scheme: string;
  host: string;
  /** A port, '' for the scheme's default, or '*' for any. */
  port: string;
}

function parsePattern(text: string): OriginPattern | undefined {
  const match = /^(https?):\/\/(\[[0-9a-f:.]+\]|[^:/\s]+)(?::(\d+|\*))?\/?$/i.exec(text.trim());
  if (!match) return undefined;
  return { scheme: (match[1] as string).toLowerCase(), host: (match[2] as string).toLowerCase(), port: match[3] ?? '' };
}

/** Checks that every entry of `allowed_origins` is an origin (`https://host[:port]`, port may be `*`). */
export function invalidOrigins(origins: readonly string[]): string[] {
  return origins.filter((o) => parsePattern(o) === undefined);
}

function originMatches(origin: string, patterns: readonly OriginPattern[]): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const scheme = url.protocol.replace(/:$/, '');
  const host = url.hostname.toLowerCase();
  return patterns.some((p) => p.scheme === scheme && p.host === host && (p.port === '*' || p.port === url.port));
}

/** The host name of a Host header (`example.com:3000` -> `example.com`, `[::1]:3000` -> `[::1]`). */
function hostName(header: string): string {
  const trimmed = header.trim().toLowerCase();
  if (trimmed.startsWith('[')) return trimmed.slice(0, trimmed.indexOf(']') + 1);
  return trimmed.replace(/:\d+$/, '');
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Options of {@link originGuard}. */
export interface OriginGuardOptions {
  /** Allowed origins; default {@link defaultAllowedOrigins}. */
  allowedOrigins?: readonly string[];
  /** The gateway's public URL: its host is accepted in `Host`. */
  publicUrl?: () => string | undefined;
}

/** Middleware refusing (403) cross-site browser requests and rebound Host names. */
export function originGuard(options: OriginGuardOptions = {}): MiddlewareHandler {
  const patterns = (options.allowedOrigins ?? defaultAllowedOrigins).map(parsePattern).filter((p): p is OriginPattern => !!p);
  const allowedHosts = new Set(patterns.map((p) => p.host));
  return async (c: HonoContext, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && !originMatches(origin, patterns)) {
      return c.json(
        { error: `Origin ${JSON.stringify(origin.slice(0, 200))} is not allowed; add it to allowed_origins in the config`, code: 'UNAUTHORIZED' },
        403,
      );
    }
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (isLoopbackAddress(incoming?.socket?.localAddress)) {
      const host = hostName(c.req.header('host') ?? '');
      const publicUrl = options.publicUrl?.();
      const publicHost = publicUrl ? safeHostName(publicUrl) : undefined;
      if (!LOOPBACK_HOSTS.has(host) && !allowedHosts.has(host) && host !== publicHost) {
        return c.json(
          { error: `Host ${JSON.stringify(host.slice(0, 200))} is not allowed on a loopback listener; use localhost or 127.0.0.1`, code: 'UNAUTHORIZED' },
          403,
        );
      }
    }
    await next();
  };
}

function safeHostName(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
