/** First-run demo config: one embedded document and one agent with every permission on it. */
import fs from 'node:fs';
import path from 'node:path';
import { generateAgentToken } from '../auth/tokens.js';

/** File name of the demo document inside the data folder. */
export const DEMO_DOCUMENT_FILE = 'demo.grist';

/**
 * Writes a new config at `options.path` with the embedded document `demo` (`<dataDir>/demo.grist`)
 * and the agent `demo-agent` (read, write, schema on it). Only the token's SHA-256 goes into the file;
 * the plain token is returned, to be shown once. Never overwrites: throws if the file exists.
 * Creates the config's folder and `dataDir` if needed (the document itself is created elsewhere).
 * With `publicUrl` (where `serve` will listen), the config gets `public_url:`, so a stdio `mcp` process on
 * it hands scripts the full proxy URL.
 */
export function writeDemoConfig(options: { path: string; dataDir: string; publicUrl?: string }): { token: string } {
  const file = path.resolve(options.path);
  const dataDir = path.resolve(options.dataDir);
  const docPath = path.join(dataDir, DEMO_DOCUMENT_FILE);
  // Relative to the config's folder when inside it (so the folder can be moved), else absolute.
  const relative = path.relative(path.dirname(file), docPath);
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? docPath : `./${relative.split(path.sep).join('/')}`;
  const { token, sha256 } = generateAgentToken();

  const text = [
    '# grist-gateway config, created on first run with a demo document.',
    '# Documents: real Grist (url, doc_id, api_key) or embedded (engine: embedded, path).',
    '# ${VAR} in a value is replaced by the environment variable VAR.',
    'documents:',
    '  demo:',
    '    engine: embedded',
    `    path: ${JSON.stringify(shown)}`,
    '',
    '# Agents. token_sha256 is the SHA-256 of the agent token, which was shown once when this file was',
    '# created; make a new one with `grist-gateway token`.',
    'tokens:',
    `  - token_sha256: ${sha256}`,
    '    name: demo-agent',
    '    scope:',
    '      - document: demo',
    '        permissions: [read, write, schema]',
    '',
    ...(options.publicUrl
      ? [
          '# Where scripts reach this gateway. A stdio `grist-gateway mcp` process on this config does not listen',
          '# anywhere itself and puts this URL in the proxy_url it hands out; change it with --port or behind a proxy.',
          `public_url: ${JSON.stringify(options.publicUrl)}`,
          '',
        ]
      : []),
    `# Session tokens are kept next to this file (${path.basename(file, path.extname(file))}.sessions.sqlite), so every process`,
    '# started with this config accepts them. For several machines use Redis:',
    '#   sessions: { store: redis, url: ${REDIS_URL} }',
    '',
  ].join('\n');

  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx' fails if the file exists, atomically: no check-then-write race.
    fs.writeFileSync(file, text, { encoding: 'utf8', flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`Config file ${file} already exists; not overwriting it`);
    }
    throw err;
  }
  return { token };
}
