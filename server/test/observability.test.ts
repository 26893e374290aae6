/**
 * Operations: the per-call log line on every entry point (with the document of agent-token calls),
 * /metrics in Prometheus format behind `metrics:` in the config (open, token-guarded, or off), and /health
 * reporting a document that cannot be opened. Real gateways on loopback, a real MCP client.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { buildOpenApi } from '@grist-gateway/shared';
import { serve } from '@hono/node-server';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { createGateway } from '../src/gateway.js';

const AGENT = 'gga_observability_agent_token_0123456789';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

interface Running {
  url: string;
  dir: string;
  log: Record<string, unknown>[];
  close(): Promise<void>;
}

const running: Running[] = [];
afterAll(async () => {
  for (const r of running) await r.close();
});

/** Starts a gateway over two embedded documents with `extra` appended to its config. */
async function start(extra = '', documents = '  main:\n    engine: embedded\n    path: ./main.grist\n'): Promise<Running> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-obs-'));
  const file = path.join(dir, 'grist-gateway.yaml');
  fs.writeFileSync(
    file,
    `documents:\n${documents}tokens:\n  - token: ${AGENT}\n    name: ops-agent\n    scope:\n      - document: main\n        permissions: [read, write, schema]\n${extra}`,
  );
  const log: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) log.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const gateway = createGateway(loadConfig(file, {}), { logger: pino({ level: 'info' }, sink) });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const r: Running = {
    url,
    dir,
    log,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  running.push(r);
  return r;
}

const proxy = (url: string, body: unknown, token = AGENT) =>
  fetch(`${url}/api/v1/proxy`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The value of one sample of the exposition, e.g. `grist_gateway_rows_total{method="add_records",document="main"}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    const found = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('call logs', () => {
  it('log every MCP tool call with the agent, the document argument, rows, status and duration', async () => {
    const gw = await start();
    const client = new Client({ name: 'obs-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${AGENT}` } } }));
    await client.callTool({ name: 'create_table', arguments: { document: 'main', table_id: 'Logged', columns: [{ id: 'A', type: 'Text' }] } });
    await client.callTool({ name: 'add_records', arguments: { document: 'main', table: 'Logged', records: [{ A: 'x' }, { A: 'y' }, { A: 'z' }] } });
    await client.callTool({ name: 'get_records', arguments: { document: 'main', table: 'Nope' } });
    await client.close();
    const calls = gw.log.filter((l) => l.msg === 'call' && l.entry === 'mcp');
    expect(calls.map((l) => l.method)).toEqual(['create_table', 'add_records', 'get_records']);
    for (const line of calls) expect(line).toMatchObject({ agent: 'ops-agent', document: 'main', durationMs: expect.any(Number) });
    expect(calls[1]).toMatchObject({ status: 'ok', rows: 3 });
    expect(calls[2]).toMatchObject({ status: 'error', code: 'NOT_FOUND' });
    expect(JSON.stringify(gw.log)).not.toContain(AGENT);
  }, 30_000);
});

describe('/metrics', () => {
  it('is off unless the config turns it on', async () => {
    const gw = await start();
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
  });

  it('counts calls, errors by code, rows and latency per method and document, in Prometheus text format', async () => {
    const gw = await start('metrics: true\n');
    await proxy(gw.url, { method: 'create_table', document: 'main', table_id: 'Counted', columns: [{ id: 'N', type: 'Int' }] });
    await proxy(gw.url, { method: 'add_records', document: 'main', table: 'Counted', records: [{ N: 1 }, { N: 2 }] });
    await proxy(gw.url, { method: 'add_records', document: 'main', table: 'Counted', records: [{ N: 3 }] });
    await proxy(gw.url, { method: 'get_records', document: 'main', table: 'Missing' });
    await proxy(gw.url, { method: 'list_tables', document: 'made-up-name' });
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE grist_gateway_calls_total counter');
    expect(text).toContain('# TYPE grist_gateway_call_duration_seconds histogram');
    expect(sample(text, 'grist_gateway_calls_total', { entry: 'proxy', method: 'add_records', document: 'main', status: 'ok' })).toBe(2);
    expect(sample(text, 'grist_gateway_rows_total', { method: 'add_records', document: 'main' })).toBe(3);
    expect(sample(text, 'grist_gateway_call_errors_total', { method: 'get_records', document: 'main', code: 'NOT_FOUND' })).toBe(1);
    expect(sample(text, 'grist_gateway_call_duration_seconds_count', { method: 'add_records', document: 'main' })).toBe(2);
    expect(sample(text, 'grist_gateway_call_duration_seconds_bucket', { method: 'add_records', document: 'main', le: '+Inf' })).toBe(2);
    // A document name a caller made up is not a label value of its own.
    expect(text).not.toContain('made-up-name');
    expect(sample(text, 'grist_gateway_call_errors_total', { method: 'list_tables', document: '(unknown)', code: 'UNAUTHORIZED' })).toBe(1);
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('asks for its own token when the config gives one', async () => {
    const gw = await start(`metrics:\n  token: ${METRICS_TOKEN}\n`);
    const none = await fetch(`${gw.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${AGENT}` } })).status).toBe(401);
    const ok = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('grist_gateway_calls_total');
  });

  it('refuses a metrics block it does not understand, naming it', async () => {
    await expect(start('metrics: maybe\n')).rejects.toThrow(/metrics: must be true, false, or a mapping with token/);
    await expect(start('metrics:\n  token: short\n')).rejects.toThrow(/metrics\.token: must be at least 16 characters/);
  });
});

describe('/health', () => {
  it('reports the version, and a degraded status naming a document that cannot be opened', async () => {
    const gw = await start('', '  main:\n    engine: embedded\n    path: ./main.grist\n  broken:\n    engine: embedded\n    path: ./folder.grist\n');
    // A folder where the document file should be: its backend cannot open it.
    fs.mkdirSync(path.join(gw.dir, 'folder.grist'));
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; version: string; documents: { total: number; unavailable: { name: string; reason: string }[] } };
    const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string };
    expect(body.version).toBe(pkg.version);
    expect(body.status).toBe('degraded');
    expect(body.documents.total).toBe(2);
    expect(body.documents.unavailable).toEqual([{ name: 'broken', reason: expect.stringMatching(/^cannot be opened: /) }]);
    // The OpenAPI document describes this body.
    const openapi = buildOpenApi() as { paths: Record<string, any> };
    const schema = openapi.paths['/health'].get.responses['200'].content['application/json'].schema;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  });
});
