/**
 * `grist-gateway serve`: loads the config (creating a demo one on first run), starts the HTTP gateway and
 * prints where everything is (a human-readable banner on stderr, like the logs). Stops cleanly on
 * SIGINT/SIGTERM.
 *
 * The demo config is created only when no config was named at all (no `--config`, no `CONFIG_PATH`) and
 * `./grist-gateway.yaml` does not exist. A named file that does not exist is an error: a typo must not
 * silently serve a new document with an all-powerful token.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { DEFAULT_CONFIG_FILE, loadConfig, resolveConfigPath, writeDemoConfig } from '../config/index.js';
import { ensureEmbeddedFile } from '../backends/pool.js';
import { seedDemoDocument } from '../demo/seed.js';
import { createGateway, publicUrlFromEnv } from '../gateway.js';
import { scopeWarnings } from '../auth/scope-warnings.js';
import { setupGristApi } from '../grist-api/mount.js';
import { createLogger } from '../log.js';
import { packageVersion } from '../version.js';
import { LOG_ENV, type Command } from './command.js';

/** Flags of `serve`. */
export interface ServeFlags {
  config?: string;
  port?: string;
  host?: string;
}

/** Parses a port number, naming the source in the error. */
function parsePort(text: string, source: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`${source}: "${text}" is not a port number (0-65535)`);
  return port;
}

/** Which setting named the config file, if any (empty values count as unset, as in resolveConfigPath). */
function configNamedBy(flags: ServeFlags, env: NodeJS.ProcessEnv): string | undefined {
  if (flags.config) return '--config';
  if (env.CONFIG_PATH) return 'CONFIG_PATH';
  return undefined;
}

/** Runs the server until a stop signal; resolves to the exit code. */
export async function runServe(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Settings first, so a bad one stops startup before anything is created.
  const logger = createLogger({ env });
  const port = flags.port !== undefined ? parsePort(flags.port, '--port') : env.PORT ? parsePort(env.PORT, 'PORT') : 3000;
  const host = flags.host ?? env.HOST ?? '127.0.0.1';
  const configPath = resolveConfigPath({ flag: flags.config, env, cwd: process.cwd() });
  let demoToken: string | undefined;
  if (!fs.existsSync(configPath)) {
    const namedBy = configNamedBy(flags, env);
    if (namedBy) {
      throw new Error(
        `Config file not found: ${configPath} (named by ${namedBy}). Nothing was created. Check the path, or ` +
          `run without --config and CONFIG_PATH to get a demo config in ./${DEFAULT_CONFIG_FILE}.`,
      );
    }
    const dataDir = path.join(path.dirname(configPath), 'data');
    // public_url lets a stdio `mcp` process on this config hand out the full proxy URL (unknown for port 0).
    const publicUrl = port === 0 ? undefined : `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port}`;
    demoToken = writeDemoConfig({ path: configPath, dataDir, ...(publicUrl ? { publicUrl } : {}) }).token;
  }
  const config = loadConfig(configPath, env);

  const demo = demoToken !== undefined ? config.documents.get('demo') : undefined;
  // The banner says the demo document was created: create its file quietly, so no log line comes first.
  if (demo?.kind === 'embedded') ensureEmbeddedFile(demo.path);
  const gristApi = setupGristApi(config, logger);
  const gateway = createGateway(config, {
    logger,
    ...(gristApi ? { backendFactory: gristApi.backendFactory, app: { mount: (app) => gristApi.mount(app) } } : {}),
  });
  if (demoToken !== undefined) await seedDemoDocument(gateway.services.backends.get('demo'));

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: gateway.app.fetch, port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  // Scope names are checked against the documents in the background, so a slow Grist server never delays start-up.
  void scopeWarnings(gateway.services.agents.list(), gateway.services.backends).then((warnings) => warnings.forEach((w) => logger.warn(w)), () => {});
  const actualPort = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const localUrl = `http://${urlHost}:${actualPort}`;
  gateway.services.publicUrl = publicUrlFromEnv(env) ?? config.publicUrl ?? localUrl;

  const base = gateway.services.publicUrl;
  const lines = [
    `grist-gateway ${packageVersion()} listening on ${localUrl}`,
    `  config:    ${configPath}`,
    `  documents: ${gateway.services.backends.names().join(', ') || '(none)'}`,
    `  proxy:     POST ${base}/api/v1/proxy`,
    `  MCP:       ${base}/mcp (Streamable HTTP), ${base}/sse (legacy SSE)`,
    `  tRPC:      ${base}/trpc`,
    `  OpenAPI:   ${base}/api/v1/openapi.json`,
    `  health:    ${base}/health${config.metrics ? `, metrics: ${base}/metrics${config.metrics.token ? ' (token required)' : ''}` : ''}`,
  ];
  if (config.gristApi) lines.push(`  Grist REST API: ${localUrl}/api/docs/{docId}/...`);
  if (demoToken !== undefined) {
    lines.push(
      '',
      `Created ${configPath} with an embedded "demo" document and one agent with every right on it.`,
      `Agent token (shown only now; the config keeps only its SHA-256):`,
      `  ${demoToken}`,
      `Mint a session token:`,
      `  curl -s -X POST ${gateway.services.publicUrl}/api/v1/proxy -H "Authorization: Bearer ${demoToken}" \\`,
      `    -H 'Content-Type: application/json' -d '{"method":"request_session_token","document":"demo","permissions":["read","write"]}'`,
    );
  }
  process.stderr.write(`${lines.join('\n')}\n`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => resolve());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await gateway.close();
  await gristApi?.close();
  logger.flush();
  return 0;
}

/** The `serve` command. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the HTTP gateway (JSON proxy, MCP, tRPC, attachments, OpenAPI, health, metrics).',
  description:
    'Runs the HTTP gateway: the JSON proxy, MCP over Streamable HTTP (/mcp) and SSE (/sse), tRPC for the typed ' +
    'client, attachments, the OpenAPI document, /health, /metrics when the config turns them on, and Grist\'s ' +
    `REST API over embedded documents when configured. With no --config and no CONFIG_PATH, and no ` +
    `./${DEFAULT_CONFIG_FILE} yet, it creates a demo config and document and prints an agent token once; a ` +
    'named config file that does not exist is an error. Stops on SIGINT or SIGTERM.',
  options: [
    { name: 'config', value: '<path>', description: 'Config file.', env: 'CONFIG_PATH', default: `./${DEFAULT_CONFIG_FILE}` },
    { name: 'port', value: '<n>', description: 'Port to listen on (0: any free port).', env: 'PORT', default: '3000' },
    { name: 'host', value: '<addr>', description: 'Address to listen on.', env: 'HOST', default: '127.0.0.1' },
  ],
  env: [
    { name: 'GRIST_GATEWAY_PUBLIC_URL', description: "Absolute base URL scripts should use, reported in proxy_url (or grist-mcp's GRIST_MCP_URL)." },
    ...LOG_ENV,
  ],
  run: (values) =>
    runServe({
      ...(typeof values.config === 'string' ? { config: values.config } : {}),
      ...(typeof values.port === 'string' ? { port: values.port } : {}),
      ...(typeof values.host === 'string' ? { host: values.host } : {}),
    }),
};
