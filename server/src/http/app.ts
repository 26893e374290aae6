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
import { proxyHandler } from './proxy.js';
import { typesHandler } from './types.js';
import { toGatewayError } from '../errors.js';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** Largest JSON body of the proxy and `/trpc`, bytes (default 64 MiB). */
  maxBodyBytes?: number;
  /** Largest attachment upload, bytes (default 25 MiB). */
  maxUploadBytes?: number;
  /** Extra routes mounted at the root (the Grist-compatible REST API, the MCP endpoint). */
  mount?: (app: Hono) => void;
  /** Version string reported by `/health`. */
  version?: string;
}

/** Builds the HTTP app over the gateway's services. */
export function createApp(services: GatewayServices, options: AppOptions = {}): Hono {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const maxUploadBytes = options.maxUploadBytes ?? 25 * 1024 * 1024;
  const app = new Hono();

  mountHealth(app, services, options.version);

  app.all('/trpc/*', async (c) => {
    let req = c.req.raw;
    if (req.method === 'POST') {
      // The fetch adapter has no body limit of its own: read the body here, refusing oversized ones early.
      try {
        const body = await readBodyLimited(req, maxBodyBytes);
        req = new Request(req.url, { method: req.method, headers: req.headers, body });
      } catch (err) {
        const error = toGatewayError(err);
        return c.json({ error: { message: error.message, code: -32013, data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, gatewayCode: error.code } } }, 413);
      }
    }
    return fetchRequestHandler({
      endpoint: '/trpc',
      req,
      router: appRouter,
      createContext: () => contextFromBearer(services, bearerToken(req.headers.get('authorization')), 'trpc'),
      onError: ({ error }) => {
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
