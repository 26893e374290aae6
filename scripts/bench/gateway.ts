/**
 * Gateway overhead: the JSON proxy over real HTTP on loopback against calling the backend directly in the
 * same process, measured side by side (interleaved runs, medians).
 *
 *   - add_records of 10,000 rows: proxy time / direct time (aim: <= 1.10)
 *   - get_records of 100 rows:    proxy median - direct median (aim: < 1 ms)
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { loadConfig } from '../../server/src/config/index.js';
import { createGateway } from '../../server/src/gateway.js';

const TOKEN = 'gga_bench_token_0123456789abcdefghijkl';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function rows(n: number, offset: number): Record<string, string | number | boolean>[] {
  return Array.from({ length: n }, (_, i) => ({
    Name: `item ${offset + i}`,
    Qty: (offset + i) % 100,
    Price: ((offset + i) % 1000) / 10,
    Paid: i % 2 === 0,
    Day: 1_700_000_000 + i * 86_400,
    Kind: ['a', 'b', 'c'][i % 3]!,
    Note: 'x'.repeat(i % 20),
    Score: i * 0.5,
    Code: `C${i}`,
    Flag: i % 3 === 0,
  }));
}

/** Runs the gateway benchmark and prints its figures. */
export async function benchGateway(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-bench-'));
  const configPath = path.join(dir, 'grist-gateway.yaml');
  fs.writeFileSync(
    configPath,
    `documents:\n  bench:\n    engine: embedded\n    path: ./bench.grist\ntokens:\n  - token: ${TOKEN}\n    name: bench\n    scope:\n      - document: bench\n        permissions: [read, write, schema]\n`,
  );
  const gateway = createGateway(loadConfig(configPath, {}));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  // A keep-alive node:http client, as a script doing many calls would use; fetch adds ~0.4 ms of its own.
  const agent = new http.Agent({ keepAlive: true });
  const call = (token: string, body: unknown): Promise<any> =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v1/proxy',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { success: boolean; data?: unknown; error?: string };
            if (json.success) resolve(json.data);
            else reject(new Error(`proxy call failed: ${json.error}`));
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  try {
    const session = (await call(TOKEN, { method: 'request_session_token', document: 'bench', permissions: ['read', 'write', 'schema'], ttl_seconds: 3600 })).token as string;
    const columns = [
      ['Name', 'Text'], ['Qty', 'Int'], ['Price', 'Numeric'], ['Paid', 'Bool'], ['Day', 'Date'],
      ['Kind', 'Choice'], ['Note', 'Text'], ['Score', 'Numeric'], ['Code', 'Text'], ['Flag', 'Bool'],
    ].map(([id, type]) => ({ id, type }));
    await call(session, { method: 'create_table', table_id: 'Direct', columns });
    await call(session, { method: 'create_table', table_id: 'Proxied', columns });
    const backend = gateway.services.backends.get('bench');

    // Bulk add: 10,000 rows, interleaved, 5 rounds each (first round is warm-up).
    const direct: number[] = [];
    const proxied: number[] = [];
    for (let round = 0; round < 6; round++) {
      const batch = rows(10_000, round * 10_000);
      let t = performance.now();
      await backend.addRecords('Direct', batch.map((fields) => ({ fields })));
      const d = performance.now() - t;
      t = performance.now();
      await call(session, { method: 'add_records', table: 'Proxied', records: batch });
      const p = performance.now() - t;
      if (round > 0) {
        direct.push(d);
        proxied.push(p);
      }
    }
    const addRatio = median(proxied) / median(direct);

    // Small read: a 100-row table read whole, 200 interleaved runs.
    await call(session, { method: 'create_table', table_id: 'Small', columns });
    await backend.addRecords('Small', rows(100, 0).map((fields) => ({ fields })));
    const readDirect: number[] = [];
    const readProxy: number[] = [];
    for (let i = 0; i < 220; i++) {
      let t = performance.now();
      await backend.getRecords('Small', {});
      const d = performance.now() - t;
      t = performance.now();
      await call(session, { method: 'get_records', table: 'Small' });
      const p = performance.now() - t;
      if (i >= 20) {
        readDirect.push(d);
        readProxy.push(p);
      }
    }
    const added = median(readProxy) - median(readDirect);

    console.log('gateway overhead (JSON proxy over loopback HTTP vs backend called in-process)');
    console.log(`  add_records 10,000 rows: direct ${median(direct).toFixed(1)} ms, proxy ${median(proxied).toFixed(1)} ms, ratio ${addRatio.toFixed(3)} (aim <= 1.10)`);
    console.log(`  get_records 100 rows:    direct ${median(readDirect).toFixed(3)} ms, proxy ${median(readProxy).toFixed(3)} ms, added ${added.toFixed(3)} ms at the median (aim < 1 ms)`);
  } finally {
    agent.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await gateway.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
