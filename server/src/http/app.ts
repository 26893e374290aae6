/**
 * The gateway's HTTP app (Hono): health, `/trpc` for the typed client, the JSON proxy and its attachment
 * endpoints, the OpenAPI document, and, when configured, the embedded engine's Grist-compatible REST API.
 */
import { buildOpenApi } from '@grist-gateway/shared';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { Hono } from 'hono';
import { bearerToken, contextFromBearer, type GatewayServices } from '../context.js';
import { appRouter } from '../routers/index.js';
import { downloadHandler, uploadHandler } from './attachments.js';
import { mountHealth } from './health.js';
import { readBodyLimited } from './body.js';
import { apiHeaders } from './headers.js';
import { closeUnreadBodies } from './unread-body.js';
import { originGuard } from './origin.js';
import { proxyHandler } from './proxy.js';
import { typesHandler } from './types.js';
import { GatewayError, toGatewayError } from '../errors.js';
import { forbiddenKeyInJson } from '../security/input-keys.js';
import { limits } from '../limits/index.js';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** Largest JSON body of the proxy and `/trpc`, bytes (default 64 MiB). */
  maxBodyBytes?: number;
  /** Largest attachment upload, bytes (default 25 MiB). */
  maxUploadBytes?: number;
  /** Most calls in one tRPC batch (default 100). */
  maxTrpcBatch?: number;
  /** Origins allowed on `/mcp`, `/sse` and `/messages` (config `allowed_origins`; default: loopback). */
  allowedOrigins?: readonly string[];
  /** Extra routes mounted at the root (the Grist-compatible REST API, the MCP endpoint). */
  mount?: (app: Hono) => void;
  /** Version string reported by `/health`. */
  version?: string;
}

/** The request's headers without those describing its (dropped) body. */
function withoutBodyHeaders(headers: Headers): Headers {
  const out = new Headers(headers);
  out.delete('content-length');
  out.delete('transfer-encoding');
  return out;
}

/**
 * A gateway error refused before tRPC ran, in tRPC's answer shape (superjson-wrapped; an array for a
 * batch call), so the typed client reports it like any other error.
 */
function trpcErrorResponse(url: string, error: GatewayError): Response {
  const { pathname, searchParams } = new URL(url);
  const paths = pathname.replace(/^\/trpc\/?/, '').split(',');
  const one = (path: string) => ({
    error: { json: { message: error.message, code: -32600, data: { code: 'BAD_REQUEST', httpStatus: error.status, path, gatewayCode: error.code, details: error.details ?? null } } },
  });
  const body = searchParams.get('batch') === '1' ? paths.map(one) : one(paths[0] ?? '');
  return Response.json(body, { status: error.status });
}

/** Builds the HTTP app over the gateway's services. */
export function createApp(services: GatewayServices, options: AppOptions = {}): Hono {
  const maxBodyBytes = options.maxBodyBytes ?? limits.maxBodyBytes;
  const maxUploadBytes = options.maxUploadBytes ?? limits.maxUploadBytes;
  const maxBatchSize = options.maxTrpcBatch ?? limits.maxTrpcBatch;
  const app = new Hono();

  app.use('*', apiHeaders());
  app.use('*', closeUnreadBodies());
  const guard = originGuard({ ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}), publicUrl: () => services.publicUrl });
  for (const path of ['/mcp', '/sse', '/messages']) app.use(path, guard);

  mountHealth(app, services, options.version);

  app.all('/trpc/*', async (c) => {
    let req = c.req.raw;
    // The token is checked before any byte of the body is read: a request without a valid token gets its
    // error from tRPC (in the shape its client expects) with an empty body, and its body is discarded.
    const context = await contextFromBearer(services, bearerToken(req.headers.get('authorization')), 'trpc');
    if (context.authFailure && req.method === 'POST') {
      req = new Request(req.url, { method: req.method, headers: withoutBodyHeaders(req.headers), signal: req.signal });
    } else if (req.method === 'POST') {
      // The fetch adapter has no body limit of its own: read the body here, refusing oversized ones early.
      try {
        const body = await readBodyLimited(req, maxBodyBytes);
        const protoError = forbiddenKeyInJson(new TextDecoder().decode(body), /^(\d+\.)?json\./);
        if (protoError) return trpcErrorResponse(c.req.url, protoError);
        req = new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal });
      } catch (err) {
        const error = toGatewayError(err);
        return c.json({ error: { message: error.message, code: -32013, data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, gatewayCode: error.code } } }, 413);
      }
    }
    if (req.method === 'GET') {
      const protoError = forbiddenKeyInJson(new URL(req.url).searchParams.get('input') ?? '', /^(\d+\.)?json\./);
      if (protoError) return trpcErrorResponse(c.req.url, protoError);
    }
    return fetchRequestHandler({
      endpoint: '/trpc',
      req,
      router: appRouter,
      maxBatchSize,
      // Methods rather than named arrow functions: no name defined per call under tsx (keepNames).
      createContext() {
        return context;
      },
      // RATE_LIMITED answers say when to retry, as on the JSON proxy.
      responseMeta({ errors }) {
        const limited = errors.map((e) => toGatewayError(e)).find((e) => e.code === 'RATE_LIMITED');
        return limited ? { headers: { 'Retry-After': String(limited.details?.retry_after ?? 1) } } : {};
      },
      onError({ error }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') services.logger.error({ err: error.cause ?? error }, 'trpc internal error');
      },
    });
  });

  app.post('/api/v1/proxy', proxyHandler(services, { maxBodyBytes }));
  app.post('/api/v1/attachments', uploadHandler(services, { maxUploadBytes }));
  app.get('/api/v1/attachments/:id', downloadHandler(services));
  app.get('/api/v1/types.ts', typesHandler(services));
  app.get('/api/v1/openapi.json', (c) => c.json(buildOpenApi({ serverUrl: services.publicUrl })));

  options.mount?.(app);

  app.notFound((c) => c.json({ success: false, error: `Not found: ${c.req.method} ${c.req.path}`, code: 'NOT_FOUND' }, 404));
  app.onError((err, c) => {
    services.logger.error({ err }, 'unhandled error');
    return c.json({ success: false, error: 'Internal error', code: 'INTERNAL_ERROR' }, 500);
  });
  return app;
}
