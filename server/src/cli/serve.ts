/**
 * `grist-gateway serve`: loads the config (creating a demo one on first run), starts the HTTP gateway and
 * prints where everything is. Stops cleanly on SIGINT/SIGTERM.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { loadConfig, resolveConfigPath, writeDemoConfig } from '../config/index.js';
import { seedDemoDocument } from '../demo/seed.js';
import { createGateway, publicUrlFromEnv } from '../gateway.js';
import { scopeWarnings } from '../auth/scope-warnings.js';
import { setupGristApi } from '../grist-api/mount.js';
import { createLogger } from '../log.js';

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

/** Runs the server until a stop signal; resolves to the exit code. */
export async function runServe(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const configPath = resolveConfigPath({ flag: flags.config, env, cwd: process.cwd() });
  let demoToken: string | undefined;
  if (!fs.existsSync(configPath)) {
    const dataDir = path.join(path.dirname(configPath), 'data');
    demoToken = writeDemoConfig({ path: configPath, dataDir }).token;
  }
  const config = loadConfig(configPath, env);
  const port = flags.port !== undefined ? parsePort(flags.port, '--port') : env.PORT ? parsePort(env.PORT, 'PORT') : 3000;
  const host = flags.host ?? env.HOST ?? '127.0.0.1';
  const logger = createLogger();

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
  gateway.services.publicUrl = publicUrlFromEnv(env) ?? localUrl;

  const lines = [
    `grist-gateway listening on ${localUrl}`,
    `  config:   ${configPath}`,
    `  proxy:    POST ${gateway.services.publicUrl}/api/v1/proxy`,
    `  tRPC:     ${gateway.services.publicUrl}/trpc`,
    `  OpenAPI:  ${gateway.services.publicUrl}/api/v1/openapi.json`,
    `  documents: ${gateway.services.backends.names().join(', ') || '(none)'}`,
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
