/**
 * The gateway's version: the `version` of the server package's package.json, read at run time.
 *
 * It is found by walking up from this module to the nearest package.json whose name contains
 * "grist-gateway", so it works from the sources (server/src/version.ts -> server/package.json) and from a
 * built or installed package (dist/... -> the package root) alike, without a build step copying it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** Finds the version by walking up from `start`; `'unknown'` when no matching package.json is found. */
export function findPackageVersion(start: string): string {
  let dir = start;
  for (;;) {
    const file = path.join(dir, 'package.json');
    try {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (typeof pkg.name === 'string' && pkg.name.includes('grist-gateway') && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No (readable) package.json here: keep walking up.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** The version of the running grist-gateway (cached after the first call). */
export function packageVersion(): string {
  cached ??= findPackageVersion(path.dirname(fileURLToPath(import.meta.url)));
  return cached;
}
