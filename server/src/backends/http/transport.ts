/**
 * The wire layer of the HTTP backend: sends one request and hands back status, headers and body.
 *
 * The default transport uses `node:http(s)` with one keep-alive `Agent` per Grist server (origin), shared
 * by every backend talking to that server, because global `fetch` silently drops a `Host` header and the
 * gateway must support a `host_header` override. A caller-supplied `fetch` is supported too (then a
 * `Host` override is not possible: fetch forbids it).
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

/**
 * How the client stops a request in flight (its timeout): the transport sets `stop` when it sends the
 * request; calling it destroys the request and its answer, so a pending `send()` or `text()` rejects.
 * (A plain hook rather than an AbortSignal: no AbortController, no abort listener and stream watcher per request.)
 */
export interface Cancel {
  stop?: (() => void) | undefined;
}

/** One request as the client builds it. */
export interface TransportRequest {
  method: string;
  /** Absolute URL, query included. */
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array | undefined;
  cancel: Cancel;
}

/** One response, body not yet read. */
export interface TransportResponse {
  status: number;
  /** A response header (lower-case name), or undefined. */
  header(name: string): string | undefined;
  /** Reads the whole body as UTF-8 text. */
  text(): Promise<string>;
  /** The body as a web stream (for downloads). */
  stream(): ReadableStream<Uint8Array>;
  /** Drops the body without reading it (frees the connection). */
  discard(): void;
}

/** Sends requests. */
export interface Transport {
  send(req: TransportRequest): Promise<TransportResponse>;
  /** Releases this transport's hold on pooled connections. */
  close(): void;
}

interface PooledAgent {
  agent: http.Agent;
  users: number;
}

/** One keep-alive pool per Grist server origin, shared by every backend of that server. */
const agents = new Map<string, PooledAgent>();

function acquireAgent(origin: string, secure: boolean): http.Agent {
  let pooled = agents.get(origin);
  if (!pooled) {
    const options = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8, scheduling: 'lifo' as const };
    pooled = { agent: secure ? new https.Agent(options) : new http.Agent(options), users: 0 };
    agents.set(origin, pooled);
  }
  pooled.users += 1;
  return pooled.agent;
}

function releaseAgent(origin: string): void {
  const pooled = agents.get(origin);
  if (!pooled) return;
  pooled.users -= 1;
  if (pooled.users <= 0) {
    agents.delete(origin);
    pooled.agent.destroy();
  }
}

/** The default transport: node:http(s) over a shared keep-alive agent for `origin`. */
export function nodeTransport(origin: URL): Transport {
  const secure = origin.protocol === 'https:';
  const key = origin.origin;
  const agent = acquireAgent(key, secure);
  // Where every request of this origin goes, worked out once (no URL parsed per request).
  const target = { protocol: origin.protocol, hostname: origin.hostname.replace(/^\[(.*)\]$/, '$1'), port: origin.port || (secure ? 443 : 80) };
  const originLength = origin.origin.length;
  let closed = false;
  return {
    send(req) {
      return new Promise<TransportResponse>((resolve, reject) => {
        const headers: Record<string, string> = { ...req.headers };
        if (req.body) headers['content-length'] = String(req.body.byteLength);
        if (!req.url.startsWith(key)) throw new Error(`request URL outside ${key}`);
        const request = (secure ? https : http).request({
          ...target,
          path: req.url.slice(originLength),
          method: req.method,
          headers,
          agent,
        });
        req.cancel.stop = () => request.destroy(new Error('the request was stopped (timeout)'));
        request.on('error', reject);
        request.on('response', (res) => {
          resolve(nodeResponse(res));
        });
        request.end(req.body ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength) : undefined);
      });
    },
    close() {
      if (closed) return;
      closed = true;
      releaseAgent(key);
    },
  };
}

function nodeResponse(res: http.IncomingMessage): TransportResponse {
  return {
    status: res.statusCode ?? 0,
    header(name) {
      const value = res.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    text() {
      // Plain 'data'/'end' events: the async iterator costs a promise per chunk (most answers are one).
      return new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')));
        res.once('error', reject);
        // Destroyed before the end (stopped by the timeout): no 'end' will come.
        res.once('close', () => {
          if (!res.complete) reject(new Error('the answer was cut off before its end'));
        });
      });
    },
    stream() {
      return Readable.toWeb(res) as ReadableStream<Uint8Array>;
    },
    discard() {
      res.resume();
    },
  };
}

/** A transport over a caller-supplied `fetch` (e.g. for tests or special runtimes). */
export function fetchTransport(fetchImpl: typeof fetch): Transport {
  return {
    async send(req) {
      const controller = new AbortController();
      req.cancel.stop = () => controller.abort();
      const res = await fetchImpl(req.url, {
        method: req.method,
        headers: req.headers,
        // Copy into a plain ArrayBuffer-backed view: BodyInit does not accept SharedArrayBuffer views.
        body: req.body ? new Uint8Array(req.body) : undefined,
        signal: controller.signal,
      });
      return {
        status: res.status,
        header: (name) => res.headers.get(name) ?? undefined,
        text: () => res.text(),
        stream: () => res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() }),
        discard: () => void res.body?.cancel().catch(() => undefined),
      };
    },
    close() {},
  };
}
