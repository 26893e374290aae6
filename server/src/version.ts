/**
 * The gateway's version: the `version` of this package's `package.json` (`grist-gateway --version`,
 * `/health`, the MCP server info).
 *
 * Read relative to this module, which works in both layouts: from sources (`src/version.ts`) and from the
 * published build (`dist/version.js`; the build keeps the source tree's shape, see `tsdown.config.ts`),
 * `../package.json` is the package's manifest. Read once, synchronously, at import: a few hundred bytes,
 * far cheaper than the command it serves.
 */
import fs from 'node:fs';

function readVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new Error('grist-gateway: package.json has no "version"');
  return manifest.version;
}

/** The package version, e.g. `0.1.0`. */
export const VERSION: string = readVersion();

/** The package version (the same as {@link VERSION}). */
export function packageVersion(): string {
  return VERSION;
}
