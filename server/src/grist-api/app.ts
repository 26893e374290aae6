/**
 * The embedded engine's Grist-compatible REST API as a Hono app: `/api/docs/{docId}/...` (and the same
 * under `/o/{org}/api/...`), document creation and deletion, Grist's authentication, body rules, error
 * shapes and texts (`shared/grist-api.md`).
 *
 * Every handler catches its own errors (rather than relying on `app.onError`) so that the answers stay
 * Grist-shaped also when this app is mounted inside the gateway's app, whose error handler differs.
 */
import { Hono, type Context } from 'hono';
import { GristError } from '../backend/errors.js';
import { checkAuthorization } from './auth.js';
import type { DocRequest, DocRoute } from './context.js';
import { readJsonBody } from './body.js';
import { querySource } from './query.js';
import type { EmbeddedDocRegistry } from './registry.js';
import { errorResponse, jsonResponse } from './respond.js';
import { applyRoutes } from './routes/apply.js';
import { attachmentRoutes } from './routes/attachments.js';
import { recordRoutes } from './routes/records.js';
import { sqlRoutes } from './routes/sql.js';
import { tableRoutes } from './routes/tables.js';

/** Options of {@link createGristApiApp}. */
export interface GristApiAppOptions {
  /** The one API key accepted as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** The documents served. */
  docs: EmbeddedDocRegistry;
}

/** Every route below `/api/docs/{docId}`. */
export const DOC_ROUTES: readonly DocRoute[] = [...tableRoutes, ...recordRoutes, ...sqlRoutes, ...applyRoutes, ...attachmentRoutes];

/** The prefixes the API answers under: plain, and with Grist's org prefix. */
const PREFIXES = ['/api', '/o/:org/api'] as const;

/** Runs a handler, turning its result into a JSON response and any failure into Grist's error answer. */
async function respond(run: () => Promise<unknown>): Promise<Response> {
  try {
    const result = await run();
    return result instanceof Response ? result : jsonResponse(result);
  } catch (err) {
    // Grist's authentication failures come before its API middleware, so they carry no Cache-Control.
    if (err instanceof GristError && err.status === 401) return jsonResponse(err.toJSON(), 401, {}, false);
    return errorResponse(err);
  }
}

/** Grist's 404 for an unknown route or method (08 unknown-route-in-doc, 08 wrong-method). */
function notFound(c: Context): Response {
  return jsonResponse({ error: `not found: ${new URL(c.req.url).pathname}` }, 404);
}

/** Builds the REST API app. */
export function createGristApiApp(options: GristApiAppOptions): Hono {
  const { apiKey, docs } = options;
  const app = new Hono();

  /**
   * Authenticates (the key check comes before the document lookup, 08 auth-invalid-key-unknown-doc) and
   * opens the document. Anonymous callers get 404 for an unknown doc and 403 otherwise (08 auth-none*).
   */
  function openDoc(c: Context, docId: string) {
    const auth = checkAuthorization(c.req.header('authorization'), apiKey);
    if (auth === 'anonymous') {
      if (!docs.has(docId)) throw new GristError(404, 'document not found', undefined, { kind: 'document' });
      throw new GristError(403, 'No view access');
    }
    return docs.get(docId);
  }

  for (const prefix of PREFIXES) {
    for (const route of DOC_ROUTES) {
      app.on(route.method, `${prefix}/docs/:docId${route.path}`, (c) =>
        respond(async () => {
          const docId = c.req.param('docId');
          const doc = openDoc(c, docId);
          const request: DocRequest = {
            docId,
            doc,
            req: c.req.raw,
            query: querySource(new URL(c.req.url), c.req.raw.headers),
            param: (name) => c.req.param(name) ?? '',
          };
          return route.handler(request);
        }),
      );
    }

    app.post(`${prefix}/workspaces/:wid/docs`, (c) =>
      respond(async () => {
        if (checkAuthorization(c.req.header('authorization'), apiKey) === 'anonymous') {
          throw new GristError(403, 'No view access');
        }
        const body = await readJsonBody(c.req.raw);
        const name = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { name?: unknown }).name : undefined;
        // Grist answers the new docId as a JSON string.
        return docs.create(typeof name === 'string' ? name : undefined);
      }),
    );

    app.delete(`${prefix}/docs/:docId`, (c) =>
      respond(async () => {
        openDoc(c, c.req.param('docId'));
        await docs.delete(c.req.param('docId'));
        return null;
      }),
    );

    // Anything else under the API prefix: Grist's 404 with the real path.
    app.all(`${prefix}/*`, (c) => respond(async () => {
      checkAuthorization(c.req.header('authorization'), apiKey);
      return notFound(c);
    }));
  }
  app.notFound((c) => notFound(c));
  return app;
}
