/**
 * Loading the config file from disk and finding it.
 *
 * The format is the Python grist-mcp `config.yaml` (unchanged files load), extended with embedded
 * documents, `token_sha256` and `grist_api:`:
 * ```yaml
 * documents:
 *   sales: { url: https://grist.example.com, doc_id: abc123, api_key: ${GRIST_API_KEY}, host_header: grist.internal }
 *   demo:  { engine: embedded, path: ./data/demo.grist }   # relative to the config file's folder
 * tokens:
 *   - token: ${AGENT_TOKEN}            # or token_sha256: <64 hex>
 *     name: reporting-agent
 *     scope: [{ document: sales, permissions: [read, write] }]   # read, write, schema
 * grist_api: { api_key: ${EMBEDDED_API_KEY}, data_dir: ./data }
 * ```
 * `${VAR}` in any value is replaced by the environment variable (no escape syntax; unset is an error).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse.js';
import type { GatewayConfig } from './types.js';

/** Config file used when neither `--config` nor `CONFIG_PATH` is given. */
export const DEFAULT_CONFIG_FILE = 'grist-gateway.yaml';

/**
 * Reads and validates the config file at `file` (relative paths in it resolve against its folder).
 * Throws {@link ConfigError} when the file cannot be read or has any problem (all listed at once).
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? String(err)})`;
    throw new ConfigError(absolute, [`(file): ${reason}`]);
  }
  return parseConfig(text, { env, baseDir: path.dirname(absolute), source: absolute });
}

/**
 * Where the config file is: `flag` (`--config`), else `env.CONFIG_PATH`, else `./grist-gateway.yaml`;
 * returned absolute, resolved against `cwd` (default `process.cwd()`). Empty values count as unset.
 */
export function resolveConfigPath(options: { flag?: string | undefined; env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const chosen = options.flag || env.CONFIG_PATH || DEFAULT_CONFIG_FILE;
  return path.resolve(cwd, chosen);
}
