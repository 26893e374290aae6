/**
 * `GET /metrics`: the Prometheus text exposition of the gateway's metrics (observability/metrics.ts).
 * Only mounted when the config turns metrics on; with `metrics: {token}` a scraper must send
 * `Authorization: Bearer <token>` (compared in constant time).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Hono } from 'hono';
import { bearerToken } from '../context.js';
import type { MetricsConfig } from '../observability/config.js';
import type { GatewayMetrics } from '../observability/metrics.js';

/** Whether `presented` equals `expected`, in time independent of where they differ. */
function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Mounts `GET /metrics` for `metrics`, guarded by the config's token when it has one. */
export function mountMetrics(app: Hono, metrics: GatewayMetrics, config: MetricsConfig): void {
  app.get('/metrics', async (c) => {
    if (config.token !== undefined) {
      const presented = bearerToken(c.req.header('authorization'));
      if (presented === undefined || !sameSecret(presented, config.token)) {
        return c.json({ success: false, error: 'GET /metrics needs "Authorization: Bearer <metrics token>"', code: 'INVALID_TOKEN' }, 401, {
          'WWW-Authenticate': 'Bearer realm="grist-gateway metrics"',
        });
      }
    }
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
}
