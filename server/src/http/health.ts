/**
 * `GET /health`: cheap enough for a load balancer to poll every few seconds. It calls no backend; it
 * reports what the gateway already knows:
 *
 * ```json
 * {"status": "ok", "version": "0.1.0", "uptime_seconds": 42,
 *  "documents": {"total": 2, "unavailable": []},
 *  "sessions": {"store": "memory", "ok": true}}
 * ```
 *
 * `status` is `"degraded"` when a document cannot be opened (its backend fails to open, e.g. an embedded
 * file that is not a document) or its latest call found it unreachable (`UNAVAILABLE`), or when the session
 * store reports a problem. The HTTP status stays 200 for a broken document: one broken document should
 * not take every replica out of a load balancer; alert on `status` instead. A session store that is down
 * answers 503: no script token can be checked, so a load balancer should send traffic elsewhere.
 */
import type { Hono } from 'hono';
import type { GatewayServices } from '../context.js';
import { unreachableDocuments } from '../observability/calls.js';
import { packageVersion } from '../version.js';

/** The state of the session store, as `/health` shows it (where it is, file path or Redis host, is left out). */
export interface SessionStoreHealth {
  /** Kind of store: `"memory"`, `"sqlite"`, `"redis"`. */
  store: string;
  /** Whether it works. */
  ok: boolean;
  /** What is wrong, when not ok (never a secret or a connection string with credentials). */
  error?: string;
}

/** One document that cannot be used now. */
export interface UnavailableDocument {
  name: string;
  /** Why: the open error, or the code of the latest failed call. */
  reason: string;
  /** When its latest call failed (absent for open errors). */
  since?: string;
}

/** The body of `/health`. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  uptime_seconds: number;
  documents: { total: number; unavailable: UnavailableDocument[] };
  sessions: SessionStoreHealth;
}

/** Asks the session store for its state; /health needs no token, so where the store is stays out. */
async function sessionStoreState(services: GatewayServices): Promise<SessionStoreHealth> {
  try {
    const { location: _location, ...state } = await services.sessions.health();
    return state;
  } catch (err) {
    return { store: 'unknown', ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Documents that cannot be opened or whose latest call found them unreachable. */
function unavailableDocuments(services: GatewayServices): UnavailableDocument[] {
  const unreachable = unreachableDocuments(services);
  const out: UnavailableDocument[] = [];
  for (const name of services.backends.names()) {
    try {
      // Opens the backend once (kept open by the pool); no request reaches Grist.
      services.backends.get(name);
    } catch (err) {
      out.push({ name, reason: `cannot be opened: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    const failure = unreachable.get(name);
    if (failure) out.push({ name, reason: `latest call failed with ${failure.code}`, since: failure.at });
  }
  return out;
}

/** Builds the health report. */
export async function healthReport(services: GatewayServices, version = packageVersion()): Promise<HealthReport> {
  const unavailable = unavailableDocuments(services);
  const sessions = await sessionStoreState(services);
  return {
    status: unavailable.length === 0 && sessions.ok ? 'ok' : 'degraded',
    version,
    uptime_seconds: Math.round(process.uptime()),
    documents: { total: services.backends.names().length, unavailable },
    sessions,
  };
}

/** Mounts `GET /health`. */
export function mountHealth(app: Hono, services: GatewayServices, version?: string): void {
  app.get('/health', async (c) => {
    const report = await healthReport(services, version);
    return c.json(report, report.sessions.ok ? 200 : 503, { 'cache-control': 'no-store' });
  });
}
