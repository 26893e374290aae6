/**
 * A small client for one Grist document's REST API: base URL, `Authorization: Bearer`, optional `Host`
 * override, per-attempt timeouts, bounded concurrency and retries of idempotent requests.
 *
 * Every failure becomes a {@link GristError}: Grist's own status, `error` text and `details` when it
 * answered, or 503/504 naming the server when it could not be reached. The API key is only ever placed in
 * the Authorization header; no message built here contains it.
 */
import { GristError } from '../../backend/errors.js';
import { Semaphore } from './chunks.js';
import { defaultRetryPolicy, isIdempotent, isRetryableStatus, retryDelayMs, sleep, type RetryPolicy } from './retry.js';
import { Deadlines } from './deadlines.js';
import { fetchTransport, nodeTransport, type Cancel, type Transport, type TransportResponse } from './transport.js';

/** Settings of a {@link GristClient}. */
export interface GristClientOptions {
  /** Grist server base, e.g. `https://grist.example.com` or `http://127.0.0.1:8484/o/team`. */
  url: string;
  docId: string;
  apiKey: string;
  /** Sent as the `Host` header instead of the URL's host (refused with a custom `fetch`, which drops it). */
  hostHeader?: string | undefined;
  /** Per attempt, until the answer is read (downloads: until the headers arrive). Default 30000. */
  timeoutMs?: number | undefined;
  /** Requests in flight at once for this document. Default 4. */
  maxInFlight?: number | undefined;
  /** Retries of idempotent requests on 429/503/connection errors. Default 3. */
  retries?: number | undefined;
  /** First backoff in ms (doubles per retry, jittered). Default 250. */
  retryBaseDelayMs?: number | undefined;
  /** Use this instead of node:http (then `hostHeader` is not possible). */
  fetch?: typeof fetch | undefined;
  /** Other secrets (API keys, tokens) to scrub from Grist's error text besides `apiKey`. */
  secrets?: readonly string[] | undefined;
}

/** What to send. */
export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path below `/api/docs/{docId}`, with ids already encoded (see {@link seg}). */
  path: string;
  query?: Record<string, string | undefined> | undefined;
  /** A JSON body, already serialized (chunked writes build it by joining). */
  jsonText?: string | undefined;
  /** A raw body with its content type (multipart uploads). */
  raw?: { body: Uint8Array; contentType: string } | undefined;
  /** Overrides the method-based idempotency rule (e.g. a rename must not be repeated). */
  idempotent?: boolean | undefined;
}

/** URL-encodes one path segment (table, column or attachment id). */
export function seg(id: string | number): string {
  return encodeURIComponent(String(id));
}

/** Connection errors: the request never reached Grist, so it was not applied. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The client of one document. */
export class GristClient {
  /** The server as shown in messages: no credentials, no query. */
  readonly server: string;
  readonly #docBase: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #deadlines: Deadlines;
  readonly #retry: RetryPolicy;
  readonly #slots: Semaphore;
  readonly #transport: Transport;
  readonly #scrub: (text: string) => string;

  constructor(options: GristClientOptions) {
    this.#scrub = secretScrubber([options.apiKey, ...(options.secrets ?? [])]);
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new GristError(400, `invalid Grist server URL: ${JSON.stringify(redactUrl(options.url))}`, undefined, { kind: 'unavailable' });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new GristError(400, `Grist server URL must be http or https, got ${base.protocol}`, undefined, { kind: 'unavailable' });
    }
    const basePath = base.pathname.replace(/\/+$/, '');
    this.server = `${base.protocol}//${base.host}${basePath}`;
    this.#docBase = `${base.protocol}//${base.host}${basePath}/api/docs/${seg(options.docId)}`;
    this.#headers = { accept: 'application/json' };
    if (options.apiKey) this.#headers['authorization'] = `Bearer ${options.apiKey}`;
    if (options.hostHeader && options.fetch) {
      // fetch silently drops a Host header; failing here beats sending requests to the wrong virtual host.
      throw new GristError(400, 'hostHeader cannot be used together with a custom fetch', undefined, { kind: 'unavailable' });
    }
    if (options.hostHeader) this.#headers['host'] = options.hostHeader;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#deadlines = new Deadlines(this.#timeoutMs);
    this.#retry = {
      ...defaultRetryPolicy,
      retries: options.retries ?? defaultRetryPolicy.retries,
      baseDelayMs: options.retryBaseDelayMs ?? defaultRetryPolicy.baseDelayMs,
    };
    this.#slots = new Semaphore(options.maxInFlight ?? 4);
    this.#transport = options.fetch ? fetchTransport(options.fetch) : nodeTransport(base);
  }

  /** Requests currently in flight (for tests and metrics). */
  get inFlight(): number {
    return this.#slots.active;
  }

  /** Sends a request and returns the parsed JSON answer (`null` for Grist's empty successes). */
  async json(spec: RequestSpec): Promise<unknown> {
    return this.#send(spec, async (res) => {
      const text = await res.text();
      if (text === '') return null;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new GristError(502, `Grist server ${this.server} sent an answer that is not JSON for ${spec.method} ${spec.path}`, undefined, {
          kind: 'malformed',
        });
      }
    });
  }

  /** Sends a request and returns the successful response with its body unread (downloads). */
  async raw(spec: RequestSpec): Promise<TransportResponse> {
    return this.#send(spec, async (res) => res);
  }

  /** Releases pooled connections. */
  close(): void {
    this.#transport.close();
  }

  async #send<T>(spec: RequestSpec, read: (res: TransportResponse) => Promise<T>): Promise<T> {
    const url = this.#docBase + spec.path + queryString(spec.query);
    const headers = { ...this.#headers };
    let body: Uint8Array | undefined;
    if (spec.raw) {
      body = spec.raw.body;
      headers['content-type'] = spec.raw.contentType;
    } else if (spec.jsonText !== undefined) {
      body = Buffer.from(spec.jsonText, 'utf8');
      headers['content-type'] = 'application/json';
    }
    const idempotent = spec.idempotent ?? isIdempotent(spec.method, spec.path);
    const what = `${spec.method} ${spec.path}`;

    for (let attempt = 0; ; attempt++) {
      const canRetry = idempotent && attempt < this.#retry.retries;
      const release = await this.#slots.acquire();
      const cancel: Cancel = {};
      let timedOut = false;
      const done = this.#deadlines.start(() => {
        timedOut = true;
        cancel.stop?.();
      });
      let res: TransportResponse;
      try {
        res = await this.#transport.send({ method: spec.method, url, headers, body, cancel });
      } catch (err) {
        done();
        release();
        if (timedOut) throw this.#timeoutError(what);
        const code = errorCode(err);
        if (canRetry) {
          await sleep(retryDelayMs(this.#retry, attempt));
          continue;
        }
        throw this.#unavailableError(what, code, idempotent, attempt);
      }
      try {
        if (res.status >= 200 && res.status < 300) {
          const result = await read(res);
          return result;
        }
        if (canRetry && isRetryableStatus(res.status)) {
          res.discard();
          done();
          release(); // do not hold a slot while backing off
          await sleep(retryDelayMs(this.#retry, attempt, res.header('retry-after')));
          continue;
        }
        throw await this.#httpError(res, what, attempt);
      } catch (err) {
        if (timedOut && !(err instanceof GristError)) throw this.#timeoutError(what);
        throw err;
      } finally {
        // A download keeps its body open; its timeout stops once the headers are in (documented above).
        done();
        release();
      }
    }
  }

  async #httpError(res: TransportResponse, what: string, attempt: number): Promise<GristError> {
    let text = '';
    try {
      text = await res.text();
    } catch {
      // The body is only used for the message; the status alone still says what happened.
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const tries = attempt > 0 ? ` (after ${attempt + 1} attempts)` : '';
    const transient = res.status === 503 || res.status === 429;
    if (isErrorBody(parsed)) {
      const details = isPlainObject(parsed.details) ? (this.#scrubDeep(parsed.details) as Record<string, unknown>) : undefined;
      const error = this.#scrub(parsed.error);
      const message = tries && transient ? `${error}${tries}` : error;
      // `not found: /api/...` is Grist's answer for a route it does not have (an older server), not for a
      // table or row the caller named.
      const route = res.status === 404 && /^not found: \//.test(parsed.error);
      const extra = transient ? { kind: 'unavailable' as const } : route ? { kind: 'route' as const } : undefined;
      return new GristError(res.status, message, details, extra);
    }
    const snippet = this.#scrub(text.trim().slice(0, 200));
    // Without Grist's JSON error body the answer came from something else (a proxy's error page, a wrong
    // URL): only the statuses that mean the same from anyone keep their meaning.
    const kind = transient ? ('unavailable' as const) : res.status === 413 || res.status === 504 ? undefined : ('malformed' as const);
    return new GristError(
      res.status,
      `Grist server ${this.server} answered HTTP ${res.status} to ${what}${tries}${snippet ? `: ${snippet}` : ''}`,
      undefined,
      kind ? { kind } : undefined,
    );
  }

  /** Scrubs secrets from every string inside Grist's `details`. */
  #scrubDeep(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.#scrub(value);
    if (depth > 4 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => this.#scrubDeep(v, depth + 1));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.#scrubDeep(v, depth + 1)]));
  }

  #timeoutError(what: string): GristError {
    return new GristError(504, `Grist server ${this.server} did not answer ${what} within ${this.#timeoutMs} ms`, undefined, {
      kind: 'timeout',
    });
  }

  #unavailableError(what: string, code: string, idempotent: boolean, attempt: number): GristError {
    const tries = attempt > 0 ? ` after ${attempt + 1} attempts` : '';
    const maybeApplied = !idempotent && !NOT_SENT_CODES.has(code) ? '; the request may or may not have been applied' : '';
    return new GristError(503, `Grist server ${this.server} is unreachable (${code}) for ${what}${tries}${maybeApplied}`, undefined, {
      kind: 'unavailable',
    });
  }
}

/** `?a=1&b=2` of the defined entries (form-encoded as URLSearchParams does), or nothing. */
function queryString(query: RequestSpec['query']): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function errorCode(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (isPlainObject(current) || current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      if (typeof code === 'string') return code;
      current = (current as { cause?: unknown }).cause;
    } else break;
  }
  return err instanceof Error ? err.message : 'connection error';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isErrorBody(value: unknown): value is { error: string; details?: unknown } {
  return isPlainObject(value) && typeof value['error'] === 'string';
}

/**
 * A function that removes secrets from upstream text: the configured secrets verbatim, and anything
 * that looks like an `Authorization: Bearer ...` value or a gateway token, so that a misbehaving upstream
 * echoing request headers cannot hand them to a caller or a log.
 */
export function secretScrubber(secrets: readonly (string | undefined)[]): (text: string) => string {
  const known = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 6))].sort((a, b) => b.length - a.length);
  const pattern = /\b(Bearer\s+)[^\s"',;]+|\b(?:gga|sess)_[A-Za-z0-9_-]{8,}/gi;
  return (text) => {
    let out = text;
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out.replace(pattern, (_m, bearer: string | undefined) => (bearer ? `${bearer}[redacted]` : '[redacted]'));
  };
}

/** The URL without user info, for messages. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//');
}
