/**
 * The HTTP backend against a Grist REST API on loopback (the embedded engine's, served by a separate
 * `grist-gateway serve` process, as a Grist server would be):
 *
 *   - add_records of 10,000 rows through the gateway's JSON proxy vs the same `POST /records` requests
 *     (500-row chunks, as the backend sends them) straight to the API: ratio (aim <= 1.10)
 *   - a 100,000-row read streamed through the gateway: the gateway process's memory growth (aim < 64 MB)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { loadConfig } from '../../server/src/config/index.js';
import { createGateway } from '../../server/src/gateway.js';

const AGENT = 'gga_http_bench_token_0123456789abcdefgh';
const API_KEY = 'bench-api-key-0123456789';
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../server/bin/grist-gateway.js');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Starts `grist-gateway serve` with `grist_api` in a child process; resolves to its URL. */
async function startRestApi(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const config = path.join(dir, 'api.yaml');
  fs.writeFileSync(config, `documents:\n  bench:\n    engine: embedded\n    path: ./bench.grist\ntokens: []\ngrist_api:\n  api_key: ${API_KEY}\n  data_dir: ./data\n`);
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`REST API process exited (${code}): ${text}`)));
  });
  return { url, child };
}

/** Runs the HTTP backend benchmark and prints its figures. */
export async function benchHttp(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-http-bench-'));
  const api = await startRestApi(dir);
  const configPath = path.join(dir, 'gateway.yaml');
  fs.writeFileSync(
    configPath,
    `documents:\n  remote:\n    url: ${api.url}\n    doc_id: bench\n    api_key: ${API_KEY}\ntokens:\n  - token: ${AGENT}\n    name: bench\n    scope:\n      - document: remote\n        permissions: [read, write, schema]\n`,
  );
  const gateway = createGateway(loadConfig(configPath, {}));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const proxyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/proxy`;
  const call = async (token: string, body: unknown): Promise<any> => {
    const res = await fetch(proxyUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    const json = (await res.json()) as { success: boolean; data?: unknown; error?: string };
    if (!json.success) throw new Error(`proxy call failed: ${json.error}`);
    return json.data;
  };
  const direct = async (table: string, records: Record<string, unknown>[]): Promise<void> => {
    for (let i = 0; i < records.length; i += 500) {
      const res = await fetch(`${api.url}/api/docs/bench/tables/${table}/records`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
        body: JSON.stringify({ records: records.slice(i, i + 500).map((fields) => ({ fields })) }),
      });
      if (!res.ok) throw new Error(`direct POST failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  try {
    const token = (await call(AGENT, { method: 'request_session_token', document: 'remote', permissions: ['read', 'write', 'schema'], ttl_seconds: 3600 })).token as string;
    const columns = [['Name', 'Text'], ['Qty', 'Int'], ['Price', 'Numeric'], ['Paid', 'Bool'], ['Kind', 'Text']].map(([id, type]) => ({ id, type }));
    await call(token, { method: 'create_table', table_id: 'Direct', columns });
    await call(token, { method: 'create_table', table_id: 'Proxied', columns });
    const rows = (n: number, offset: number) =>
      Array.from({ length: n }, (_, i) => ({ Name: `item ${offset + i}`, Qty: i % 100, Price: i / 10, Paid: i % 2 === 0, Kind: ['a', 'b', 'c'][i % 3]! }));

    const directTimes: number[] = [];
    const proxyTimes: number[] = [];
    for (let round = 0; round < 6; round++) {
      const batch = rows(10_000, round * 10_000);
      let t = performance.now();
      await direct('Direct', batch);
      const d = performance.now() - t;
      t = performance.now();
      await call(token, { method: 'add_records', table: 'Proxied', records: batch });
      const p = performance.now() - t;
      if (round > 0) {
        directTimes.push(d);
        proxyTimes.push(p);
      }
    }
    console.log('HTTP backend (gateway -> Grist REST API on loopback; the API runs in its own process)');
    console.log(
      `  add_records 10,000 rows: straight to the API ${median(directTimes).toFixed(1)} ms, through the gateway ${median(proxyTimes).toFixed(1)} ms, ratio ${(median(proxyTimes) / median(directTimes)).toFixed(3)} (aim <= 1.10)`,
    );

    // 100,000 rows in the table (60,000 already there), then stream them through the gateway.
    await call(token, { method: 'add_records', table: 'Proxied', records: rows(40_000, 60_000) });
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let count = 0;
    let cursor: string | null = null;
    const started = performance.now();
    do {
      const page: { records: unknown[]; next_cursor: string | null } = await call(token, { method: 'get_records', table: 'Proxied', limit: 5000, ...(cursor ? { cursor } : {}) });
      count += page.records.length;
      cursor = page.next_cursor;
      peak = Math.max(peak, process.memoryUsage().rss);
    } while (cursor);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `  read 100,000 rows in pages of 5,000 through the gateway: ${count.toLocaleString('en-US')} rows in ${seconds.toFixed(2)} s, gateway process memory growth ${((peak - baseline) / 1024 / 1024).toFixed(1)} MB (aim < 64 MB)`,
    );
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await gateway.close();
    api.child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === `file://${path.resolve(process.argv[1])}`) await benchHttp();
