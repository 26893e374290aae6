/**
 * The gateway process of the hostile-mix benchmark (hostile.ts): serves one config on a free loopback
 * port and prints `port <n>` once listening. Run in its own process so that its memory (and that of its
 * SQL children) is measured apart from the clients'.
 *
 * Over its IPC channel it answers `{ type: 'loop' }` with the event-loop blocks seen since the last ask
 * (a 5 ms timer's lateness: how long the loop could not run anything, e.g. a quiet read's answer) and the
 * process's own memory at its highest RSS since then (`process.memoryUsage()`, sampled every 100 ms):
 * heap used vs external/array buffers says whether the growth is V8 heap or Buffers, and heap total vs
 * used how much of it is garbage not yet collected.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../server/src/config/index.js';
import { createGateway } from '../../server/src/gateway.js';

// Run as the published package runs: its dist/ carries no source maps (tsdown `sourcemap: false`), so
// stack traces are never mapped. tsx turns mapping on for the sources, and then every error's stack
// (tRPC reads it for each refused call) parses a source map: milliseconds per 401 that the shipped
// gateway never spends. HOSTILE_SOURCE_MAPS=1 keeps them, to see that cost.
if (!process.env.HOSTILE_SOURCE_MAPS) process.setSourceMapsEnabled(false);

const configPath = process.argv[2];
if (!configPath) throw new Error('usage: hostile-server.ts <config>');
const gateway = createGateway(loadConfig(configPath, {}));
const server = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`);
});

/** Event-loop blocks longer than 20 ms since the last report, in ms. */
let blocks: number[] = [];
const TICK_MS = 5;
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  const late = now - last - TICK_MS;
  if (late > 20) blocks.push(late);
  last = now;
}, TICK_MS).unref();

/** The memory figures at the highest RSS since the last report (bytes). */
let peakMemory: NodeJS.MemoryUsage = process.memoryUsage();
setInterval(() => {
  // memoryUsage() reads V8's heap statistics and the RSS: a few microseconds, no allocation to speak of.
  const now = process.memoryUsage();
  if (now.rss > peakMemory.rss) peakMemory = now;
}, 100).unref();

process.on('message', (msg: unknown) => {
  if ((msg as { type?: string } | null)?.type !== 'loop') return;
  process.send?.({ type: 'loop', blocks, memory: peakMemory });
  blocks = [];
  peakMemory = process.memoryUsage();
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
