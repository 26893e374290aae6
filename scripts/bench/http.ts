/**
 * The HTTP backend against a Grist REST API, measured side by side with the best direct use of the same
 * API (interleaved rounds, medians):
 *
 *   - add_records of 10,000 rows through the gateway's JSON proxy vs `POST /records` straight to the API
 *     in requests as large as its 1 MiB body limit allows (both serialize the rows inside the timed
 *     region; the order of the three sides rotates between rounds): ratio of the medians and median of the
 *     per-round ratios (aim <= 1.05). Beside it, the floor of any proxy that must read the rows before it
 *     writes them: a bare node:http server that receives the same request, JSON.parses it and forwards
 *     the rows in 1 MiB requests (no auth, no validation).
 *   - get_records of 100 rows (limit 100) vs the faster of `GET /records?limit=100` and
 *     `POST /sql SELECT * ... LIMIT 100`: added ms at the median, and the median of per-round differences
 *     (aim <= 1 ms). Beside it, the floor of a second HTTP hop: the same `POST /sql` through a bare
 *     node:http server that forwards it over a keep-alive connection and sends the answer back.
 *
 * Both floors run in this process, as the gateway does, and are called with `fetch` like the gateway and
 * the direct requests, in the same interleaved rounds. Every side parses its answer (a client reads the
 * rows or ids), and the read figures add the CPU time of this process per read: the gateway's own work
 * over the bare hop's, a figure the machine's load hardly moves.
 *   - ten sorted pages of 500 vs ten unsorted pages of 500 through the gateway on a 50,000-row table
 *     (order rotating between rounds): ratio of the medians and median of per-round ratios (aim <= 2)
 *   - a 100,000-row read streamed through the gateway: the gateway process's memory growth (aim < 64 MB)
 *
 * Targets: the embedded engine's REST API in its own process (always), and a real Grist when
 * `GRIST_URL`, `GRIST_API_KEY` (and optionally `GRIST_WORKSPACE_ID`) are set; the bench then creates a
 * document there and deletes it afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
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

/** A Grist REST API to measure against, with one document the bench may fill. */
interface Target {
  label: string;
  url: string;
  docId: string;
  apiKey: string;
  /** Also measure the memory of a streamed 100,000-row read. */
  streamRead: boolean;
  close(): Promise<void>;
}

const JSON_LIMIT = 1024 * 1024;

/** The embedded engine's REST API in a child process. */
async function embeddedTarget(dir: string): Promise<Target> {
  const api = await startRestApi(dir);
  return {
    label: 'embedded engine REST API (own process, loopback)',
    url: api.url,
    docId: 'bench',
    apiKey: API_KEY,
    streamRead: true,
    async close() {
      api.child.kill('SIGTERM');
    },
  };
}

/** A new document on the real Grist named by GRIST_URL / GRIST_API_KEY / GRIST_WORKSPACE_ID. */
async function realGristTarget(): Promise<Target | undefined> {
  const url = process.env['GRIST_URL']?.replace(/\/+$/, '');
  const apiKey = process.env['GRIST_API_KEY'];
  if (!url || !apiKey) return undefined;
  const api = async (method: string, p: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${url}${p}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p} answered ${res.status}: ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as unknown) : null;
  };
  let wid = process.env['GRIST_WORKSPACE_ID'];
  if (!wid) {
    const orgs = (await api('GET', '/api/orgs')) as { id: number }[];
    wid = String(((await api('GET', `/api/orgs/${orgs[0]?.id}/workspaces`)) as { id: number }[])[0]?.id);
  }
  const docId = (await api('POST', `/api/workspaces/${wid}/docs`, { name: `grist-gateway bench ${new Date().toISOString()}` })) as string;
  return {
    label: `real Grist at ${url}`,
    url,
    docId,
    apiKey,
    streamRead: false,
    async close() {
      await api('DELETE', `/api/docs/${encodeURIComponent(docId)}`);
    },
  };
}

/** Runs the HTTP backend benchmark against every available target and prints the figures. */
export async function benchHttp(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-http-bench-'));
  const targets: Target[] = [await embeddedTarget(dir)];
  const real = await realGristTarget();
  if (real) targets.push(real);
  try {
    for (const target of targets) await benchTarget(target, dir);
    if (!real) {
      console.log('  (set GRIST_URL, GRIST_API_KEY and GRIST_WORKSPACE_ID to measure the same against a real Grist)');
    }
  } finally {
    for (const target of targets) await target.close().catch((err: unknown) => console.error(`cleanup of ${target.label} failed: ${String(err)}`));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a request's body whole. */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/**
 * The floors a gateway is measured against: a bare node:http server in this process that forwards to the
 * target over one keep-alive agent. `POST /sql` is passed on as it is (the cost of a second hop alone);
 * `POST /add/{table}` with `{"records": [fields, ...]}` is JSON.parsed and written in 1 MiB
 * `POST /records` requests (the least a proxy that must read the rows before writing them can do).
 */
async function startBareHop(docUrl: string, apiKey: string): Promise<{ url: string; close(): Promise<void> }> {
  const agent = new http.Agent({ keepAlive: true });
  const forward = (method: string, path: string, body: Buffer | string) =>
    new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = http.request(`${docUrl}${path}`, {
        method,
        agent,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      });
      req.once('error', reject);
      req.once('response', (res) => {
        readBody(res).then((answer) => resolve({ status: res.statusCode ?? 0, body: answer }), reject);
      });
      req.end(body);
    });
  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      let answer: { status: number; body: Buffer };
      if (req.url === '/sql') answer = await forward('POST', '/sql', body);
      else {
        const table = decodeURIComponent(req.url!.replace(/^\/add\//, ''));
        const records = (JSON.parse(body.toString('utf8')) as { records: Record<string, unknown>[] }).records;
        const items = records.map((fields) => JSON.stringify({ fields }));
        const ids: unknown[] = [];
        answer = { status: 200, body: Buffer.alloc(0) };
        for (let i = 0; i < items.length && answer.status === 200; ) {
          let bytes = 16;
          let j = i;
          while (j < items.length && bytes + Buffer.byteLength(items[j]!) + 1 <= JSON_LIMIT) bytes += Buffer.byteLength(items[j++]!) + 1;
          answer = await forward('POST', `/tables/${encodeURIComponent(table)}/records`, `{"records":[${items.slice(i, j).join(',')}]}`);
          if (answer.status === 200) ids.push(...(JSON.parse(answer.body.toString('utf8')) as { records: { id: number }[] }).records.map((r) => r.id));
          i = j;
        }
        if (answer.status === 200) answer.body = Buffer.from(JSON.stringify({ record_ids: ids }));
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': String(answer.body.length) });
      res.end(answer.body);
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

async function benchTarget(target: Target, dir: string): Promise<void> {
  const configPath = path.join(dir, `gateway-${target.docId}.yaml`);
  fs.writeFileSync(
    configPath,
    `documents:\n  remote:\n    url: ${target.url}\n    doc_id: ${target.docId}\n    api_key: ${target.apiKey}\ntokens:\n  - token: ${AGENT}\n    name: bench\n    scope:\n      - document: remote\n        permissions: [read, write, schema]\n`,
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
  const docUrl = `${target.url}/api/docs/${target.docId}`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${target.apiKey}` };
  /** The best direct add: requests as large as the body limit allows, one after the other. */
  const directAdd = async (table: string, records: Record<string, unknown>[]): Promise<void> => {
    const items = records.map((fields) => JSON.stringify({ fields }));
    for (let i = 0; i < items.length; ) {
      let bytes = 16;
      let j = i;
      while (j < items.length && bytes + Buffer.byteLength(items[j]!) + 1 <= JSON_LIMIT) bytes += Buffer.byteLength(items[j++]!) + 1;
      const res = await fetch(`${docUrl}/tables/${table}/records`, { method: 'POST', headers, body: `{"records":[${items.slice(i, j).join(',')}]}` });
      if (!res.ok) throw new Error(`direct POST failed: ${res.status} ${await res.text()}`);
      await res.json(); // the new ids, as the gateway's answer gives them
      i = j;
    }
  };
  /** A direct read; its answer is parsed, as the gateway's answer is (a client reads the rows). */
  const directRead = async (pathAndQuery: string, init?: RequestInit): Promise<void> => {
    const res = await fetch(`${docUrl}${pathAndQuery}`, { headers, ...init });
    if (!res.ok) throw new Error(`direct read failed: ${res.status} ${await res.text()}`);
    await res.json();
  };
  const bare = await startBareHop(docUrl, target.apiKey);
  /** A request to the bare hop (the floor of a second HTTP hop; see startBareHop); its answer is parsed. */
  const bareCall = async (path: string, body: string): Promise<void> => {
    const res = await fetch(`${bare.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (!res.ok) throw new Error(`bare hop ${path} failed: ${res.status} ${await res.text()}`);
    await res.json();
  };
  try {
    const token = (await call(AGENT, { method: 'request_session_token', document: 'remote', permissions: ['read', 'write', 'schema'], ttl_seconds: 3600 })).token as string;
    const columns = [
      ['Name', 'Text'], ['Qty', 'Int'], ['Price', 'Numeric'], ['Paid', 'Bool'], ['Day', 'Date'],
      ['Kind', 'Choice'], ['Note', 'Text'], ['Score', 'Numeric'], ['Code', 'Text'], ['Flag', 'Bool'],
    ].map(([id, type]) => ({ id, type }));
    await call(token, { method: 'create_table', table_id: 'Direct', columns });
    await call(token, { method: 'create_table', table_id: 'Proxied', columns });
    await call(token, { method: 'create_table', table_id: 'Floor', columns });
    const rows = (n: number, offset: number) =>
      Array.from({ length: n }, (_, i) => ({
        Name: `item ${offset + i}`, Qty: (offset + i) % 100, Price: ((offset + i) % 1000) / 10, Paid: i % 2 === 0,
        Day: 1_700_000_000 + (i % 365) * 86_400, Kind: ['a', 'b', 'c'][i % 3]!, Note: 'x'.repeat(i % 20), Score: i * 0.5, Code: `C${i}`, Flag: i % 3 === 0,
      }));

    // 1. Bulk add, interleaved rounds (the first is a warm-up). Grist is slower for a write that comes right
    //    after another one, so the order of the three (direct, gateway, floor) rotates: over the six
    //    measured rounds each takes each place twice.
    // The first five rounds leave 50,000 rows in the gateway's table for the paging figures below; later
    // rounds write to another table.
    const rounds = 7;
    const pagingRows = 50_000;
    await call(token, { method: 'create_table', table_id: 'Proxied2', columns });
    const directTimes: number[] = [];
    const proxyTimes: number[] = [];
    const floorTimes: number[] = [];
    const addRatios: number[] = [];
    const floorRatios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const batch = rows(10_000, round * 10_000);
      const timed = async (write: () => Promise<unknown>) => {
        const t = performance.now();
        await write();
        return performance.now() - t;
      };
      const proxiedTable = (round + 1) * 10_000 <= pagingRows ? 'Proxied' : 'Proxied2';
      const sides = [
        () => timed(() => directAdd('Direct', batch)),
        () => timed(() => call(token, { method: 'add_records', table: proxiedTable, records: batch })),
        () => timed(() => bareCall('/add/Floor', JSON.stringify({ records: batch }))),
      ];
      const times: number[] = [];
      // Rounds 1-3 rotate one way, 4-6 the other: every side goes first, second and third twice.
      const order = round <= 3 ? [0, 1, 2].map((k) => (k + round) % 3) : [2, 1, 0].map((k) => (k + round) % 3);
      for (const k of order) times[k] = await sides[k]!();
      const [d, p, f] = times as [number, number, number];
      if (round > 0) {
        directTimes.push(d);
        proxyTimes.push(p);
        floorTimes.push(f);
        addRatios.push(p / d);
        floorRatios.push(f / d);
      }
    }

    // 2. A 100-row read: the gateway's one /sql request vs the faster direct read. Against a real Grist
    //    `GET /records?limit=` reads the whole table (seconds on big tables), so it is timed every 4th round.
    const readGet: number[] = [];
    const readSql: number[] = [];
    const readProxy: number[] = [];
    const readBare: number[] = [];
    const readPairs: { get?: number; sql: number; proxy: number; bare: number }[] = [];
    // CPU time of this process per read: the client's side of every read, plus the bare hop's or the
    // gateway's whole handling (both run here). Unlike wall times, it barely moves with the machine's load.
    const readCpu = { sql: 0, bare: 0, proxy: 0 };
    const sqlBody = JSON.stringify({ sql: 'SELECT * FROM "Proxied" WHERE id > ? ORDER BY id LIMIT 100', args: [0] });
    const getEvery = target.streamRead ? 1 : 4;
    for (let i = 0; i < 140; i++) {
      let t: number;
      let get: number | undefined;
      if (i % getEvery === 0) {
        t = performance.now();
        await directRead('/tables/Proxied/records?limit=100');
        get = performance.now() - t;
      }
      // Which of the two goes first alternates (after a whole-table GET, Grist may still be busy).
      const timed = async (side: keyof typeof readCpu, read: () => Promise<unknown>) => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await read();
        const t = performance.now() - t0;
        const c = process.cpuUsage(c0);
        if (i >= 20) readCpu[side] += (c.user + c.system) / 1000;
        return t;
      };
      const timeSql = () => timed('sql', () => directRead('/sql', { method: 'POST', body: sqlBody }));
      const timeProxy = () => timed('proxy', () => call(token, { method: 'get_records', table: 'Proxied', limit: 100 }));
      const timeBare = () => timed('bare', () => bareCall('/sql', sqlBody));
      let sql: number;
      let proxy: number;
      let bareHop: number;
      if (Math.floor(i / 4) % 2 === 0) {
        sql = await timeSql();
        proxy = await timeProxy();
        bareHop = await timeBare();
      } else {
        bareHop = await timeBare();
        proxy = await timeProxy();
        sql = await timeSql();
      }
      if (i < 20) continue; // warm-up
      if (get !== undefined) readGet.push(get);
      readSql.push(sql);
      readProxy.push(proxy);
      readBare.push(bareHop);
      readPairs.push({ ...(get !== undefined ? { get } : {}), sql, proxy, bare: bareHop });
    }
    const [g, q, r, b] = [readGet, readSql, readProxy, readBare].map((v) => median(v));
    const bestDirect = Math.min(g!, q!);
    // Paired: each gateway read minus the direct read of the same round (of the faster kind).
    const pairedAdded = median(
      readPairs.flatMap((pair) => {
        const direct = g! < q! ? pair.get : pair.sql;
        return direct === undefined ? [] : [pair.proxy - direct];
      }),
    );
    const pairedBare = median(readPairs.map((pair) => pair.bare - pair.sql));
    const pairedOverBare = median(readPairs.map((pair) => pair.proxy - pair.bare));

    // 3. Ten pages of 500, sorted vs unsorted, through the gateway (table holds >= 50,000 rows), the order
    //    rotating between rounds.
    const pages = async (sort: string | undefined): Promise<number> => {
      const t = performance.now();
      let cursor: string | null = null;
      for (let i = 0; i < 10; i++) {
        const page: { next_cursor: string | null } = await call(token, { method: 'get_records', table: 'Proxied', limit: 500, ...(sort ? { sort } : {}), ...(cursor ? { cursor } : {}) });
        cursor = page.next_cursor;
      }
      return performance.now() - t;
    };
    const unsorted: number[] = [];
    const sortedNum: number[] = [];
    const sortedText: number[] = [];
    const ratioNum: number[] = [];
    const ratioText: number[] = [];
    for (let round = 0; round < 6; round++) {
      const times = new Map<string, number>();
      const order = [undefined, '-Price', 'Name'];
      for (let k = 0; k < order.length; k++) {
        const sort = order[(k + round) % order.length];
        times.set(sort ?? '', await pages(sort));
      }
      if (round === 0) continue; // warm-up
      const u = times.get('')!;
      unsorted.push(u);
      sortedNum.push(times.get('-Price')!);
      sortedText.push(times.get('Name')!);
      ratioNum.push(times.get('-Price')! / u);
      ratioText.push(times.get('Name')! / u);
    }

    console.log(`HTTP backend (gateway -> ${target.label}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(
      `  add_records 10,000 rows x 10 columns (${directTimes.length} rounds): best direct (POST /records, 1 MiB requests) ${median(directTimes).toFixed(1)} ms, through the gateway ${median(proxyTimes).toFixed(1)} ms, ratio ${(median(proxyTimes) / median(directTimes)).toFixed(3)}, median of paired ratios ${median(addRatios).toFixed(3)} (aim <= 1.05)`,
    );
    console.log(
      `    floor: a bare node:http proxy that JSON.parses the rows and forwards them in 1 MiB requests ${median(floorTimes).toFixed(1)} ms, ratio ${(median(floorTimes) / median(directTimes)).toFixed(3)}, paired ${median(floorRatios).toFixed(3)}; the gateway over that floor ${(median(proxyTimes) - median(floorTimes)).toFixed(1)} ms`,
    );
    console.log(
      `  get_records 100 rows: direct GET /records ${g!.toFixed(2)} ms, direct POST /sql ${q!.toFixed(2)} ms, through the gateway ${r!.toFixed(2)} ms, added ${(r! - bestDirect).toFixed(2)} ms at the median over the faster, ${pairedAdded.toFixed(2)} ms median of paired differences (aim <= 1 ms)`,
    );
    console.log(
      `    floor: POST /sql through a bare node:http hop ${b!.toFixed(2)} ms (+${(b! - q!).toFixed(2)} ms over direct, paired ${pairedBare.toFixed(2)}); the gateway over that floor +${(r! - b!).toFixed(2)} ms (paired ${pairedOverBare.toFixed(2)})`,
    );
    const cpu = (side: keyof typeof readCpu) => readCpu[side] / readSql.length;
    console.log(
      `    CPU of this process per read: direct POST /sql ${cpu('sql').toFixed(2)} ms (the client alone), bare hop ${cpu('bare').toFixed(2)} ms, through the gateway ${cpu('proxy').toFixed(2)} ms; the gateway's own work over the bare hop ${(cpu('proxy') - cpu('bare')).toFixed(2)} ms`,
    );
    const total = pagingRows;
    console.log(
      `  10 pages of 500 on ${total.toLocaleString('en-US')} rows (${unsorted.length} rounds): unsorted ${median(unsorted).toFixed(0)} ms, sorted by -Price ${median(sortedNum).toFixed(0)} ms (ratio ${(median(sortedNum) / median(unsorted)).toFixed(2)}, paired ${median(ratioNum).toFixed(2)}), by Name ${median(sortedText).toFixed(0)} ms (ratio ${(median(sortedText) / median(unsorted)).toFixed(2)}, paired ${median(ratioText).toFixed(2)}) (aim <= 2)`,
    );

    if (target.streamRead) {
      // 100,000 rows in the table, then stream them through the gateway.
      await call(token, { method: 'add_records', table: 'Proxied', records: rows(100_000 - total, total) });
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
    }
  } finally {
    await bare.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await gateway.close();
  }
}

if (process.argv[1] && import.meta.url === `file://${path.resolve(process.argv[1])}`) await benchHttp();
