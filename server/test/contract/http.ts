/**
 * A minimal HTTP client over `node:http` for the replay: exact control of the headers sent (no default
 * content type, an empty `Bearer ` kept as is) and headers read back byte for byte (latin1), as the
 * capture tool saw them.
 */
import http from 'node:http';
import type { BuiltRequest } from './fixtures.js';

/** The headers the fixtures keep (README "Fixture format"). */
const KEPT_HEADERS = ['content-type', 'content-disposition', 'cache-control', 'content-security-policy', 'x-content-type-options'];

/** A response as the fixtures record it. */
export interface RecordedShape {
  status: number;
  headers: Record<string, string>;
  body_kind: 'json' | 'text' | 'base64';
  body: unknown;
}

/** Sends a request to `baseUrl` and returns the response in the fixtures' shape. */
export function send(baseUrl: string, req: BuiltRequest): Promise<RecordedShape> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body) headers['content-length'] = req.body.length;
    const outgoing = http.request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          const contentType = String(res.headers['content-type'] ?? '');
          const kept: Record<string, string> = {};
          for (const name of KEPT_HEADERS) {
            const value = res.headers[name];
            if (typeof value === 'string') kept[name] = value;
          }
          let kind: RecordedShape['body_kind'];
          let body: unknown;
          if (contentType.startsWith('application/json')) {
            kind = 'json';
            try {
              body = JSON.parse(bytes.toString('utf8')) as unknown;
            } catch {
              body = bytes.toString('utf8');
            }
          } else {
            const lengthHeader = res.headers['content-length'];
            if (typeof lengthHeader === 'string') kept['content-length'] = lengthHeader;
            if (contentType.startsWith('text/') || bytes.length === 0) {
              kind = 'text';
              body = bytes.toString('utf8');
            } else {
              kind = 'base64';
              body = bytes.toString('base64');
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: kept, body_kind: kind, body });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}
