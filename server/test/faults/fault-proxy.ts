/**
 * A fault-injecting HTTP proxy on loopback, for tests: forwards requests to an upstream server and lets a
 * test decide, per request, to pass it through, answer in its place (429, 503, ...), delay it, drop the
 * connection before or after forwarding, or be down altogether. Every request is recorded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the proxy saw it. */
export interface SeenRequest {
  /** 0-based arrival number. */
  index: number;
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Path without the query. */
  path: string;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** What the proxy did with it. */
  outcome?: string;
}

/** What to do with one request. */
export type Fault =
  | { kind: 'pass' }
  /** Answer without forwarding. */
  | { kind: 'answer'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Wait, then forward (a wait longer than the client's timeout makes it time out). */
  | { kind: 'delay'; ms: number }
  /** Close the connection without answering and without forwarding. */
  | { kind: 'reset' }
  /** Forward (so the server applies it), then close the connection instead of answering. */
  | { kind: 'lose-answer' };

/** Decides the fault for a request (default: pass). */
export type FaultRule = (req: SeenRequest) => Fault;

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  requests: SeenRequest[];
  /** Most requests the proxy held open at once. */
  readonly peakInFlight: number;
  /** Starts counting {@link peakInFlight} afresh. */
  resetPeak(): void;
  /** Replaces the rule (undefined = pass everything). */
  setRule(rule: FaultRule | undefined): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 in front of `upstream` (`http://127.0.0.1:<port>`). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const requests: SeenRequest[] = [];
  let rule: FaultRule | undefined;
  const upstreamAgent = new http.Agent({ keepAlive: true });
  const timers = new Set<NodeJS.Timeout>();

  const forward = (seen: SeenRequest, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse, loseAnswer: boolean): void => {
    const headers = { ...req.headers, host: target.host };
    const out = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: upstreamAgent },
      (up) => {
        if (loseAnswer) {
          up.resume();
          up.on('end', () => res.socket?.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', (err) => {
      seen.outcome = `upstream error ${err.message}`;
      res.socket?.destroy();
    });
    out.end(body);
  };

  let inFlight = 0;
  let peak = 0;
  const server = http.createServer((req, res) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    let counted = true;
    const done = (): void => {
      if (counted) inFlight -= 1;
      counted = false;
    };
    res.on('close', done);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? '/';
      const seen: SeenRequest = { index: requests.length, method: req.method ?? 'GET', url, path: url.split('?')[0] ?? url, body: body.toString('utf8'), headers: req.headers };
      requests.push(seen);
      const fault = rule?.(seen) ?? { kind: 'pass' };
      seen.outcome = fault.kind;
      switch (fault.kind) {
        case 'pass':
          return forward(seen, req, body, res, false);
        case 'lose-answer':
          return forward(seen, req, body, res, true);
        case 'answer': {
          const text = fault.body === undefined ? '' : JSON.stringify(fault.body);
          res.writeHead(fault.status, { 'content-type': 'application/json; charset=utf-8', ...fault.headers });
          return void res.end(text);
        }
        case 'delay': {
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (!res.destroyed) forward(seen, req, body, res, false);
          }, fault.ms);
          timers.add(timer);
          return;
        }
        case 'reset':
          return void req.socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get peakInFlight() {
      return peak;
    },
    resetPeak() {
      peak = inFlight;
    },
    setRule(next) {
      rule = next;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      upstreamAgent.destroy();
    },
  };
}

/** A loopback URL where nothing listens (connections are refused). */
export async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
