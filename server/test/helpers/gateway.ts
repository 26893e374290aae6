/**
 * Test harness: a real gateway over real embedded documents (SQLite files in a temp dir), served over
 * real HTTP on loopback, configured through a real YAML config file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { loadConfig } from '../../src/config/index.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';

/** Agent tokens of the test config. */
export const tokens = {
  /** read, write, schema on `main`; read on `other`. */
  admin: 'gga_test_admin_token_0123456789abcdef',
  /** read only on `main`. */
  reader: 'gga_test_reader_token_0123456789abcdef',
  /** write only (no read) on `main`. */
  writer: 'gga_test_writer_token_0123456789abcdef',
} as const;

/** A running test gateway. */
export interface TestGateway {
  url: string;
  dir: string;
  gateway: Gateway;
  /** POSTs a JSON body (or raw text) to a path; returns status and parsed JSON. */
  post(pathname: string, body: unknown, token?: string, init?: { raw?: boolean; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  /** Calls the JSON proxy. */
  proxy(token: string | undefined, body: unknown): Promise<{ status: number; body: any }>;
  /** Mints a session token through the proxy with an agent token. */
  session(agentToken: string, permissions: string[], document?: string, ttl_seconds?: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts a gateway with documents `main` and `other` (embedded) and the agents of {@link tokens}, or with
 * the given config text (relative paths resolve against a fresh temp folder).
 */
export async function startTestGateway(options: GatewayOptions = {}, configYaml?: string): Promise<TestGateway> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-test-'));
  const configPath = path.join(dir, 'grist-gateway.yaml');
  fs.writeFileSync(
    configPath,
    configYaml ?? `documents:
  main:
    engine: embedded
    path: ./data/main.grist
  other:
    engine: embedded
    path: ./data/other.grist
tokens:
  - token: ${tokens.admin}
    name: admin-agent
    scope:
      - document: main
        permissions: [read, write, schema]
      - document: other
        permissions: [read]
  - token: ${tokens.reader}
    name: reader-agent
    scope:
      - document: main
        permissions: [read]
  - token: ${tokens.writer}
    name: writer-agent
    scope:
      - document: main
        permissions: [write]
`,
  );
  const config = loadConfig(configPath, {});
  const gateway = createGateway(config, options);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gateway.services.publicUrl ??= url;

  const post: TestGateway['post'] = async (pathname, body, token, init = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const res = await fetch(url + pathname, {
      method: 'POST',
      headers,
      body: init.raw ? (body as string) : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed };
  };
  const proxy: TestGateway['proxy'] = (token, body) => post('/api/v1/proxy', body, token);
  const session: TestGateway['session'] = async (agentToken, permissions, document = 'main', ttl_seconds) => {
    const res = await proxy(agentToken, { method: 'request_session_token', document, permissions, ...(ttl_seconds ? { ttl_seconds } : {}) });
    if (res.status !== 200) throw new Error(`could not mint a session: ${JSON.stringify(res.body)}`);
    return res.body.data.token as string;
  };
  return {
    url,
    dir,
    gateway,
    post,
    proxy,
    session,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
