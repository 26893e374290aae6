/**
 * The hostile mix (issue #11): while cheap hostile clients attack the gateway, how fast does a small read
 * from another token answer, and how much does the gateway's process tree (the server and its SQL child
 * processes) grow? Measured side by side with a quiet baseline, in one run, on loopback.
 *
 * The gateway runs in its own process (hostile-server.ts) so that the clients' memory is not counted.
 * The hostile clients (all at once, for the whole phase):
 *   - /trpc POSTs of 32 MiB bodies without a token (4 at a time)
 *   - sql_query memory bombs (`printf('%.*c', 100000000, 'x')`) whose clients never read the answer
 *   - 20 concurrent endless recursive CTEs, half of them from clients that hang up
 *   - get_records without limit on the big table (streamed), read to the end
 *   - sorted cursor pages (`sort: "-Score", limit: 10`, five pages each)
 *   - add_records of 20,000 rows
 *   - a tRPC batch of 1,300 calls, a multipart body of 200,000 parts, a 24 MiB upload
 * The quiet client reads 10 rows of a small table every 40 ms with its own token.
 *
 * `HOSTILE_EACH=1` first runs each attack alone for `HOSTILE_EACH_MS` (default 6 s) and prints, per attack,
 * the quiet read's p99 and the gateway's event-loop blocks: which attack costs the quiet reader what.
 * `HOSTILE_ONLY=<name part>` runs only the matching attacks (alone and in the mix); `HOSTILE_MIX=0` skips the
 * mix; `HOSTILE_PSS_MS` sets the PSS sampling interval besides new RSS peaks (default 500 ms, 0: no PSS);
 * `HOSTILE_PROF=<dir>` writes a CPU profile of the gateway process there; `HOSTILE_NODE_ARGS` passes node
 * options to it.
 *
 * Memory is printed twice: the peak of the tree's summed RSS, and the peak of its summed PSS (the shared
 * pages of the node binary, mapped by the gateway and every SQL child, counted once in all rather than
 * once per process; see treePss), with the gateway's own heap / external split at its RSS peak.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HOSTILE = 'gga_bench_hostile_0123456789abcdefghij';
const QUIET = 'gga_bench_quiet_0123456789abcdefghijkl';
const BIG_ROWS = Number(process.env.HOSTILE_ROWS ?? 100_000);
const PHASE_MS = Number(process.env.HOSTILE_PHASE_MS ?? 15_000);
const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) AS n FROM c';

interface Answer {
  status: number;
  body: string;
}

/** One request over loopback; `hangUpMs` destroys it unread after that long. */
function request(port: number, options: { method?: string; path: string; token?: string; headers?: Record<string, string>; body?: string | Buffer; hangUpMs?: number; agent?: http.Agent }): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const req = http.request({ host: '127.0.0.1', port, path: options.path, method: options.method ?? 'POST', headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ status: -1, body: '' }));
    });
    req.on('error', () => resolve({ status: -1, body: '' }));
    if (options.hangUpMs !== undefined) {
      setTimeout(() => {
        req.destroy();
        resolve({ status: -2, body: '' });
      }, options.hangUpMs);
    }
    req.end(options.body);
  });
}

/** Memory of the gateway (`main`) and of its direct children (the SQL processes), bytes. */
interface Split {
  main: number;
  children: number;
}

/**
 * The direct children of `pid` (its SQL processes), from /proc/<pid>/task/<tid>/children (Linux), or,
 * on a kernel without those files, from the parent pid of every process in /proc (costlier).
 */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  if (!fs.existsSync(`/proc/${pid}/task/${pid}/children`)) {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    return out;
  }
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        for (const child of fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ')) if (child) out.push(Number(child));
      } catch {
        // thread gone meanwhile
      }
    }
  } catch {
    // process gone
  }
  return out;
}

/** Resident memory (VmRSS of /proc/<pid>/status) of `pid` and of its children. Cheap: read every 100 ms. */
function treeRss(pid: number, children: number[]): Split {
  const rssOf = (p: number): number => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  return { main: rssOf(pid), children: children.reduce((sum, c) => sum + rssOf(c), 0) };
}

/**
 * Proportional set size (`Pss:` of /proc/<pid>/smaps_rollup) of `pid` and of its children. The RSS sum
 * counts a page shared by several processes once per process: each SQL child maps the same node binary as
 * the gateway (about 43 of an idle child's 51 MB RSS are such shared file pages), so the RSS sum overstates
 * what the tree really holds. PSS divides each shared page among the processes that map it, so the PSS sum
 * is the tree's real footprint. (The binary's pages are shared with every other node process on the
 * machine too, the bench's own included, so even a lone gateway's PSS is below its RSS, by a share that
 * moves a little as other node processes come and go.) Reading smaps_rollup walks the process's pages
 * (about 2 ms for 40 MB, 5 ms for 140 MB): it is read off the event loop (thread pool), one sample at a
 * time, so the quiet reader in this process is not held up by it.
 */
async function treePss(pid: number, children: number[]): Promise<Split> {
  const pssOf = async (p: number): Promise<number> => {
    try {
      const m = /\nPss:\s+(\d+) kB/.exec(await fs.promises.readFile(`/proc/${p}/smaps_rollup`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  const [main, ...rest] = await Promise.all([pid, ...children].map(pssOf));
  return { main: main ?? 0, children: rest.reduce((sum, v) => sum + v, 0) };
}

/** Milliseconds between PSS samples besides those at a new RSS peak (`HOSTILE_PSS_MS`; 0 turns PSS off). */
const PSS_EVERY_MS = Number(process.env.HOSTILE_PSS_MS ?? 500);

/**
 * Samples the tree's RSS every 100 ms, keeping its peak (and its split between the gateway and the SQL
 * children), and its PSS at every new RSS peak and every {@link PSS_EVERY_MS} besides, keeping that peak
 * too. A PSS sample of a tree of about 400 MB costs the kernel about 18 ms of CPU: every 100 ms that took a
 * fifth of a core from a 2-core machine under load, enough to move the figures; at a new RSS peak (where
 * the PSS peak is too: they differ by the shared pages, which hardly move) and twice a second it costs a
 * few per cent. `stop()` ends it and gives the peaks.
 */
function sampleTree(pid: number): () => Promise<{ rss: Split; pss: Split; pssSamples: number }> {
  let rss: Split = { main: 0, children: 0 };
  let pss: Split = { main: 0, children: 0 };
  let children = childrenOf(pid);
  let ticks = 0;
  let pssSamples = 0;
  let pssRead: Promise<void> | undefined;
  let lastPss = -Infinity;
  const rssTimer = setInterval(() => {
    // The SQL children come and go; their list is read again every 500 ms.
    if (++ticks % 5 === 0) children = childrenOf(pid);
    const now = treeRss(pid, children);
    const newPeak = now.main + now.children > rss.main + rss.children;
    if (newPeak) rss = now;
    if (PSS_EVERY_MS > 0 && !pssRead && (newPeak || performance.now() - lastPss >= PSS_EVERY_MS - 5)) {
      lastPss = performance.now();
      pssRead = treePss(pid, children).then((p) => {
        pssSamples++;
        if (p.main + p.children > pss.main + pss.children) pss = p;
        pssRead = undefined;
      });
    }
  }, 100);
  return async () => {
    clearInterval(rssTimer);
    await pssRead;
    return { rss, pss, pssSamples };
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** The hostile clients: each loops until `stop()` says so; statuses are counted per kind. */
function startHostile(port: number, session: string, stop: () => boolean, counts: Map<string, Map<number, number>>, only: string | undefined): Promise<void>[] {
  const count = (kind: string, status: number): void => {
    const m = counts.get(kind) ?? new Map<number, number>();
    m.set(status, (m.get(status) ?? 0) + 1);
    counts.set(kind, m);
  };
  const loop = async (kind: string, once: () => Promise<number | number[]>): Promise<void> => {
    while (!stop() && (!only || kind.includes(only))) {
      const status = await once();
      for (const s of Array.isArray(status) ? status : [status]) count(kind, s);
    }
  };
  const proxy = (body: unknown, extra: { hangUpMs?: number } = {}) => request(port, { path: '/api/v1/proxy', token: session, body: JSON.stringify(body), ...extra });
  const big32 = Buffer.alloc(32 * 1024 * 1024, 0x20);
  const parts = `--b\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n`.repeat(200_000) + '--b--\r\n';
  const upload = Buffer.concat([
    Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'),
    Buffer.alloc(24 * 1024 * 1024, 7),
    Buffer.from('\r\n--b--\r\n'),
  ]);
  const batch = Array(1300).fill('list_tables').join(',');
  const rows = Array.from({ length: 20_000 }, (_, i) => ({ Name: `w${i}`, N: i, Score: i % 97 }));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return [
    ...Array.from({ length: 4 }, () => loop('trpc 32 MiB without token', async () => (await request(port, { path: '/trpc/add_records', body: big32 })).status)),
    loop('sql 100 MB printf, never read', async () => (await proxy({ method: 'sql_query', query: "SELECT printf('%.*c', 100000000, 'x') AS x" }, { hangUpMs: 3000 })).status),
    loop('sql 20 endless CTEs, half hang up', async () =>
      (await Promise.all(Array.from({ length: 20 }, (_, i) => proxy({ method: 'sql_query', query: ENDLESS }, i % 2 ? { hangUpMs: 200 } : {})))).map((a) => a.status)),
    loop('get_records without limit', async () => (await proxy({ method: 'get_records', table: 'Big' })).status),
    loop('sorted pages -Score, limit 10', async () => {
      let cursor: string | undefined;
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const a = await proxy({ method: 'get_records', table: 'Big', sort: '-Score', limit: 10, ...(cursor ? { cursor } : {}) });
        statuses.push(a.status);
        cursor = a.status === 200 ? (JSON.parse(a.body) as { data: { next_cursor?: string } }).data.next_cursor : undefined;
        if (!cursor) break;
      }
      return statuses;
    }),
    loop('add_records 20,000 rows', async () => {
      const status = (await proxy({ method: 'add_records', table: 'Writes', records: rows })).status;
      await sleep(500);
      return status;
    }),
    loop('trpc batch of 1,300', async () => (await request(port, { method: 'GET', path: `/trpc/${batch}?batch=1`, token: session })).status),
    loop('multipart 200,000 parts', async () =>
      (await request(port, { path: '/api/v1/attachments', token: session, headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: parts })).status),
    loop('upload 24 MiB', async () => {
      const status = (await request(port, { path: '/api/v1/attachments', token: session, headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: upload })).status;
      await sleep(2000);
      return status;
    }),
  ];
}

/** Runs the hostile clients in a child process for `ms`, collecting their status counts. */
async function runHostileProcess(port: number, session: string, ms: number, counts: Map<string, Map<number, number>>, only: string | undefined): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--clients', String(port), session, String(ms), only ?? ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise((r) => child.once('exit', r));
  const parsed = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, Record<string, number>>;
  for (const [kind, statuses] of Object.entries(parsed)) counts.set(kind, new Map(Object.entries(statuses).map(([s, n]) => [Number(s), n])));
}

/** The attacks by name (the names `HOSTILE_ONLY` and `HOSTILE_EACH` select by). */
const ATTACKS = [
  'trpc 32 MiB without token',
  'sql 100 MB printf, never read',
  'sql 20 endless CTEs, half hang up',
  'get_records without limit',
  'sorted pages -Score, limit 10',
  'add_records 20,000 rows',
  'trpc batch of 1,300',
  'multipart 200,000 parts',
  'upload 24 MiB',
] as const;

/** What the gateway process reports of itself since the last ask (hostile-server.ts). */
interface GatewayReport {
  /** Event-loop blocks longer than 20 ms, ms. */
  blocks: number[];
  /** Its `process.memoryUsage()` at its highest RSS. */
  memory: NodeJS.MemoryUsage;
}

/** The gateway's event-loop blocks and memory at its peak since the last ask (hostile-server.ts). */
function gatewayReport(child: ChildProcess): Promise<GatewayReport> {
  return new Promise((resolve) => {
    const onMessage = (msg: unknown): void => {
      if ((msg as { type?: string }).type !== 'loop') return;
      child.off('message', onMessage);
      resolve(msg as GatewayReport);
    };
    child.on('message', onMessage);
    child.send({ type: 'loop' });
  });
}

interface PhaseResult {
  latencies: number[];
  /** The tree's peak RSS sum and peak PSS sum, each split between the gateway and the SQL children. */
  rss: Split;
  pss: Split;
  pssSamples: number;
  /** The tree's RSS when the phase began (memory a process took earlier is rarely given back). */
  startRss: Split;
  counts: Map<string, Map<number, number>>;
  /** The gateway's loop blocks, and its own memory at its peak. */
  report: GatewayReport;
}

/** Runs one phase: the quiet reader (and the hostile clients, or those named `only`, when asked) for `ms`. */
async function phase(port: number, gateway: ChildProcess, quiet: string, hostile: string | undefined, only?: string, ms: number = PHASE_MS): Promise<PhaseResult> {
  await gatewayReport(gateway);
  const started = Date.now();
  const stop = () => Date.now() - started > ms;
  const counts = new Map<string, Map<number, number>>();
  const startRss = treeRss(gateway.pid!, childrenOf(gateway.pid!));
  const stopSampling = sampleTree(gateway.pid!);
  // The hostile clients run in a process of their own: their CPU work (building and sending bodies) must
  // not slow the quiet client's own event loop and pass for gateway latency.
  const attackers = hostile ? [runHostileProcess(port, hostile, ms, counts, only ?? process.env.HOSTILE_ONLY)] : [];
  const agent = new http.Agent({ keepAlive: true });
  const latencies: number[] = [];
  let quietResets = 0;
  while (!stop()) {
    const t = performance.now();
    let a = await request(port, { path: '/api/v1/proxy', token: quiet, body: '{"method":"get_records","table":"Small","limit":10}', agent });
    // A reused keep-alive socket can be closed by the server just as it is reused: retry once on a new one.
    if (a.status === -1) {
      quietResets++;
      a = await request(port, { path: '/api/v1/proxy', token: quiet, body: '{"method":"get_records","table":"Small","limit":10}' });
    }
    if (a.status !== 200) throw new Error(`quiet read failed: ${a.status} ${a.body.slice(0, 200)}`);
    latencies.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 40));
  }
  await Promise.all(attackers);
  const peaks = await stopSampling();
  agent.destroy();
  if (quietResets) counts.set('(quiet reads retried after a reset)', new Map([[0, quietResets]]));
  return { latencies, ...peaks, startRss, counts, report: await gatewayReport(gateway) };
}

/** Runs the hostile-mix benchmark and prints its figures. */
export async function benchHostile(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-hostile-'));
  const config = path.join(dir, 'grist-gateway.yaml');
  fs.writeFileSync(
    config,
    `documents:\n  bench:\n    engine: embedded\n    path: ./bench.grist\ntokens:\n` +
      `  - token: ${HOSTILE}\n    name: hostile\n    scope:\n      - document: bench\n        permissions: [read, write, schema]\n` +
      `  - token: ${QUIET}\n    name: quiet\n    scope:\n      - document: bench\n        permissions: [read]\n`,
  );
  const server = fileURLToPath(new URL('./hostile-server.ts', import.meta.url));
  // HOSTILE_PROF=<dir>: a CPU profile of the gateway process (what its event loop spent the phases on).
  const prof = process.env.HOSTILE_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HOSTILE_PROF}`] : [];
  // HOSTILE_NODE_ARGS: further node options for the gateway process only (e.g. `--trace-gc`).
  prof.push(...(process.env.HOSTILE_NODE_ARGS?.split(' ').filter(Boolean) ?? []));
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', server, config], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, LOG_LEVEL: 'silent' } });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      let listening = false;
      child.stdout!.on('data', (c: Buffer) => {
        // After its port, what the gateway prints (e.g. `--trace-gc` lines) goes to stderr.
        if (listening) return void process.stderr.write(c);
        text += c.toString();
        const m = /port (\d+)/.exec(text);
        if (m) {
          listening = true;
          resolve(Number(m[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`gateway exited (${code})`)));
    });
    const mint = async (token: string, permissions: string[]): Promise<string> => {
      const a = await request(port, { path: '/api/v1/proxy', token, body: JSON.stringify({ method: 'request_session_token', document: 'bench', permissions, ttl_seconds: 3600 }) });
      return (JSON.parse(a.body) as { data: { token: string } }).data.token;
    };
    const hostile = await mint(HOSTILE, ['read', 'write', 'schema']);
    const quiet = await mint(QUIET, ['read']);
    const call = async (body: unknown): Promise<void> => {
      const a = await request(port, { path: '/api/v1/proxy', token: hostile, body: JSON.stringify(body) });
      if (a.status !== 200) throw new Error(`seeding failed: ${a.body.slice(0, 300)}`);
    };
    const columns = [{ id: 'Name', type: 'Text' }, { id: 'N', type: 'Int' }, { id: 'Score', type: 'Numeric' }];
    for (const table_id of ['Big', 'Small', 'Writes']) await call({ method: 'create_table', table_id, columns });
    for (let at = 0; at < BIG_ROWS; at += 25_000) {
      const n = Math.min(25_000, BIG_ROWS - at);
      await call({ method: 'add_records', table: 'Big', records: Array.from({ length: n }, (_, i) => ({ Name: `row ${at + i}`, N: at + i, Score: ((at + i) * 7919) % 100_003 })) });
    }
    await call({ method: 'add_records', table: 'Small', records: Array.from({ length: 100 }, (_, i) => ({ Name: `s${i}`, N: i, Score: i })) });

    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const blockText = (blocks: number[]) =>
      `loop blocks > 50 ms: ${blocks.filter((b) => b > 50).length}, > 100 ms: ${blocks.filter((b) => b > 100).length}, max ${ms(Math.max(0, ...blocks))}`;
    const sum = (m: Split) => m.main + m.children;
    const verdict = (growth: number) => (growth < 200 * 1024 * 1024 ? 'PASS' : 'MISS');
    // The gateway's own memory at its RSS peak: heap used (live objects and not yet collected garbage) of
    // the heap V8 holds, and Buffers outside it (external; array buffers are most of that).
    const heapText = (m: NodeJS.MemoryUsage) =>
      `heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, external ${mb(m.external)} (array buffers ${mb(m.arrayBuffers)})`;
    const calm = await phase(port, child, quiet, undefined);
    const only = process.env.HOSTILE_ONLY;
    if (process.env.HOSTILE_EACH) {
      const eachMs = Number(process.env.HOSTILE_EACH_MS ?? 6000);
      console.log(`each attack alone (${eachMs / 1000} s each, one after the other): the quiet read's p99, the gateway's event-loop blocks, the tree's growth over quiet (RSS and PSS sums; RSS also over its level when the attack began, as a process seldom gives memory back) and the gateway's memory at its peak`);
      console.log(`  (quiet: tree RSS ${mb(sum(calm.rss))}, PSS ${mb(sum(calm.pss))}; gateway RSS ${mb(calm.report.memory.rss)}: ${heapText(calm.report.memory)})`);
      for (const attack of ATTACKS.filter((a) => !only || a.includes(only))) {
        const alone = await phase(port, child, quiet, hostile, attack, eachMs);
        console.log(
          `  ${attack.padEnd(36)} p99 ${ms(percentile(alone.latencies, 99)).padStart(9)}, max ${ms(Math.max(...alone.latencies)).padStart(9)}; ${blockText(alone.report.blocks)}; ` +
            `RSS +${mb(sum(alone.rss) - sum(calm.rss))} ${verdict(sum(alone.rss) - sum(calm.rss))} (+${mb(sum(alone.rss) - sum(alone.startRss))} over its start), PSS +${mb(sum(alone.pss) - sum(calm.pss))} ${verdict(sum(alone.pss) - sum(calm.pss))}; ` +
            `gateway RSS ${mb(alone.report.memory.rss)}: ${heapText(alone.report.memory)}`,
        );
      }
    }
    if (process.env.HOSTILE_MIX === '0') return;
    const storm = await phase(port, child, quiet, hostile);
    console.log(`hostile mix (gateway in its own process; Big table ${BIG_ROWS.toLocaleString('en-US')} rows; ${PHASE_MS / 1000} s per phase)`);
    console.log(`  small read, quiet:   p50 ${ms(percentile(calm.latencies, 50))}, p99 ${ms(percentile(calm.latencies, 99))}, max ${ms(Math.max(...calm.latencies))} (${calm.latencies.length} reads)`);
    console.log(`  small read, hostile: p50 ${ms(percentile(storm.latencies, 50))}, p99 ${ms(percentile(storm.latencies, 99))}, max ${ms(Math.max(...storm.latencies))} (${storm.latencies.length} reads)  (target p99 < 250 ms)  ${percentile(storm.latencies, 99) < 250 ? 'PASS' : 'MISS'}`);
    console.log(`  gateway event loop, quiet: ${blockText(calm.report.blocks)}; hostile: ${blockText(storm.report.blocks)}`);
    const growth = sum(storm.rss) - sum(calm.rss);
    console.log(`  process tree peak RSS: quiet ${mb(sum(calm.rss))}, hostile ${mb(sum(storm.rss))}, growth ${mb(growth)}  (target < 200 MB)  ${verdict(growth)}`);
    console.log(`    at the peak: gateway ${mb(storm.rss.main)} (quiet ${mb(calm.rss.main)}), SQL child processes ${mb(storm.rss.children)} (quiet ${mb(calm.rss.children)})`);
    // The RSS sum counts the node binary's pages once per SQL child; PSS shares them out (see treePss).
    const pssGrowth = sum(storm.pss) - sum(calm.pss);
    console.log(`  process tree peak PSS: quiet ${mb(sum(calm.pss))}, hostile ${mb(sum(storm.pss))}, growth ${mb(pssGrowth)}  (target < 200 MB)  ${verdict(pssGrowth)}  (${storm.pssSamples} samples)`);
    console.log(`    at the peak: gateway ${mb(storm.pss.main)} (quiet ${mb(calm.pss.main)}), SQL child processes ${mb(storm.pss.children)} (quiet ${mb(calm.pss.children)})`);
    console.log(`  gateway at its own RSS peak: ${mb(storm.report.memory.rss)}: ${heapText(storm.report.memory)} (quiet: ${heapText(calm.report.memory)})`);
    for (const [kind, statuses] of storm.counts) {
      console.log(`    ${kind.padEnd(36)} ${[...statuses].map(([s, n]) => `${s < 0 ? 'hung up' : s}: ${n}`).join(', ')}`);
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (process.argv[2] === '--clients') {
    // The hostile clients' process (see runHostileProcess).
    const [port, session, ms, only] = [Number(process.argv[3]), process.argv[4] as string, Number(process.argv[5]), process.argv[6] || undefined];
    const started = Date.now();
    const counts = new Map<string, Map<number, number>>();
    await Promise.all(startHostile(port, session, () => Date.now() - started > ms, counts, only));
    console.log(JSON.stringify(Object.fromEntries([...counts].map(([k, m]) => [k, Object.fromEntries(m)]))));
    process.exit(0);
  } else {
    await benchHostile();
  }
}
