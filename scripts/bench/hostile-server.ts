/**
 * The gateway process of the hostile-mix benchmark (hostile.ts): serves one config on a free loopback
 * port and prints `port <n>` once listening. Run in its own process so that its memory (and that of its
 * SQL children) is measured apart from the clients'.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../server/src/config/index.js';
import { createGateway } from '../../server/src/gateway.js';

const configPath = process.argv[2];
if (!configPath) throw new Error('usage: hostile-server.ts <config>');
const gateway = createGateway(loadConfig(configPath, {}));
const server = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`);
});
// Event-loop stalls, printed on exit when asked (HOSTILE_LOOP=1): what a slow quiet read waited for.
if (process.env.HOSTILE_LOOP) {
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  setInterval(() => {
    if (h.max > 100e6) process.stderr.write(`event loop stalled up to ${(h.max / 1e6).toFixed(0)} ms\n`);
    h.reset();
  }, 1000).unref();
}
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
