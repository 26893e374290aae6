/**
 * Start-up of the `grist-gateway` CLI, the packed package against the sources run through tsx, side by side
 * (`npx tsx scripts/bench/startup.ts`):
 *
 *   - `grist-gateway --version`, process start to exit (aim: < 300 ms)
 *   - `grist-gateway mcp`: process start to the answer of a stdio MCP `initialize` (aim: < 1 s); every
 *     stdio agent session pays this
 *
 * Wall time is what the aims are about; the CPU time each process used is printed next to it, since on a
 * loaded machine wall time mostly measures the load.
 *
 * The packed package is the tarball of plain `npm pack` in `server/` (built on `prepack`), unpacked with its
 * dependencies taken from this checkout's node_modules (same versions as an install, without compiling
 * better-sqlite3 again). Set `GRIST_GATEWAY_BIN=/path/to/prefix/bin/grist-gateway` to measure an installed
 * package instead (e.g. after `npm install -g --prefix /tmp/gg grist-gateway-0.1.0.tgz`).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = path.join(ROOT, 'server');
const TOKEN = 'gga_bench_startup_token_0123456789abcdef';
const VERSION_RUNS = 9;
const INITIALIZE_RUNS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** How to start one CLI: the program and the arguments before the command's own. */
interface Cli {
  label: string;
  command: string;
  args: string[];
}

/** One measured run: wall-clock milliseconds, and the CPU time (user + system) the process used. */
interface Timing {
  wallMs: number;
  cpuMs: number;
}

/**
 * Spawns `cli args` under `sh`, which prints the CPU time of its children (`times`) on stderr when the CLI
 * exits: on a busy machine wall time grows with the load, CPU time much less, so both are reported.
 */
function spawnTimed(cli: Cli, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn('sh', ['-c', '"$@"; status=$?; times >&2; exit $status', 'sh', cli.command, ...cli.args, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  /** Resolves to the children's CPU milliseconds once the process has exited with code 0. */
  const cpu = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$/.exec(stderr);
      if (code !== 0 || !m) reject(new Error(`${cli.label} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve((Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000);
    });
  });
  return { child, cpu };
}

/** `cli args` from spawn to exit (which must be 0). */
async function timeToExit(cli: Cli, args: string[]): Promise<Timing> {
  const started = performance.now();
  const { child, cpu } = spawnTimed(cli, args);
  child.stdin.end();
  const cpuMs = await cpu;
  return { wallMs: performance.now() - started, cpuMs };
}

/** `cli mcp --config FILE` from spawn to the `initialize` answer on its stdout (CPU: the whole run). */
async function timeToInitialize(cli: Cli, config: string): Promise<Timing> {
  const started = performance.now();
  const { child, cpu } = spawnTimed(cli, ['mcp', '--config', config], { ...process.env, GRIST_GATEWAY_TOKEN: TOKEN, LOG_LEVEL: 'warn' });
  const answered = new Promise<number>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const line = stdout.split('\n').find((l) => l.includes('"id":1'));
      if (!line) return;
      const elapsed = performance.now() - started;
      const answer = JSON.parse(line) as { result?: { serverInfo?: unknown } };
      child.stdin.end(); // the client hangs up: the server exits
      if (answer.result?.serverInfo) resolve(elapsed);
      else reject(new Error(`unexpected answer: ${line}`));
    });
    void cpu.then(() => reject(new Error(`${cli.label} mcp exited before answering`)), reject);
  });
  // Written at once, as a client does; the server reads it when it is ready.
  child.stdin.write(
    `${JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1.0.0' } },
    })}\n`,
  );
  const wallMs = await answered;
  return { wallMs, cpuMs: await cpu };
}

/** Packs `server/` with plain `npm pack` and unpacks it into `dir`; returns the unpacked package folder. */
function packAndUnpack(dir: string): string {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: SERVER, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [info] = JSON.parse(out.slice(out.indexOf('[\n'))) as Array<{ filename: string }>;
  execFileSync('tar', ['-xzf', path.join(dir, info!.filename), '-C', dir]);
  const pkg = path.join(dir, 'package');
  // Dependencies resolve from the checkout, as they would from the install's node_modules.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
  return pkg;
}

/** Median wall and CPU time of a series of runs. */
function medians(runs: Timing[]): Timing {
  return { wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)) };
}

function ms(t: Timing): string {
  return `${t.wallMs.toFixed(0).padStart(5)} ms (CPU ${t.cpuMs.toFixed(0).padStart(4)} ms)`;
}

function line(label: string, source: Timing, packed: Timing, aim: number): string {
  const verdict = packed.wallMs < aim ? 'PASS' : 'FAIL';
  return `  ${label.padEnd(31)} sources (tsx) ${ms(source)}, packed ${ms(packed)}, ratio ${(source.wallMs / packed.wallMs).toFixed(1)}x  (aim < ${aim} ms)  ${verdict}`;
}

/** Runs the start-up benchmark and prints its figures. */
export async function benchStartup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-bench-startup-'));
  try {
    const installed = process.env.GRIST_GATEWAY_BIN;
    const packed: Cli = installed
      ? { label: 'installed', command: installed, args: [] }
      : { label: 'packed', command: process.execPath, args: [path.join(packAndUnpack(dir), 'bin/grist-gateway.js')] };
    const source: Cli = { label: 'sources', command: process.execPath, args: [path.join(SERVER, 'bin/grist-gateway.js')] };
    const config = path.join(dir, 'grist-gateway.yaml');
    fs.writeFileSync(
      config,
      `documents:\n  bench:\n    engine: embedded\n    path: ./bench.grist\ntokens:\n  - token: ${TOKEN}\n    name: bench\n    scope:\n      - document: bench\n        permissions: [read, write, schema]\n`,
    );

    // Warm-up (disk cache, the embedded document's creation), then interleaved runs.
    await timeToExit(packed, ['--version']);
    await timeToExit(source, ['--version']);
    await timeToInitialize(packed, config);
    const node: Timing[] = [];
    const version = { source: [] as Timing[], packed: [] as Timing[] };
    for (let i = 0; i < VERSION_RUNS; i++) {
      node.push(await timeToExit({ label: 'node', command: process.execPath, args: [] }, ['-e', '0']));
      version.source.push(await timeToExit(source, ['--version']));
      version.packed.push(await timeToExit(packed, ['--version']));
    }
    const init = { source: [] as Timing[], packed: [] as Timing[] };
    for (let i = 0; i < INITIALIZE_RUNS; i++) {
      init.source.push(await timeToInitialize(source, config));
      init.packed.push(await timeToInitialize(packed, config));
    }

    console.log(`CLI start-up (${packed.label === 'installed' ? `installed package ${installed}` : 'package from plain npm pack'} vs sources through tsx; medians)`);
    console.log(line('grist-gateway --version', medians(version.source), medians(version.packed), 300));
    console.log(line('mcp: stdio initialize answered', medians(init.source), medians(init.packed), 1000));
    console.log(`  node -e 0 alone: ${ms(medians(node))}; a wall time far above its CPU time means a busy machine`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await benchStartup();
