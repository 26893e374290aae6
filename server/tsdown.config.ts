/**
 * Build of the publishable `grist-gateway` package (run by `npm pack` through `prepack`): `src/` compiled to
 * ESM JavaScript in `dist/`, which the bin runs when the sources are not there (see `bin/grist-gateway.js`).
 *
 * - Unbundled: `dist/` keeps the shape of `src/` (`src/cli/main.ts` -> `dist/cli/main.js`). Modules find
 *   files next to them with `new URL('./file', import.meta.url)` (the SQL child process
 *   `engine/sql-child.js`, `../package.json` for the version, data files such as formula sources), and
 *   those paths hold in both layouts only if every module keeps its place. It also keeps start-up lazy:
 *   the CLI imports each command's module on demand, so `--version` loads a few small files only.
 * - `@grist-gateway/shared` (a private workspace package, never published) is compiled in, under
 *   `dist/shared/`; the package's `dependencies` stay external and are installed by npm.
 * - Files under `src/` that are not TypeScript (the forked `.js` child, `.py`/`.json`/... data) are copied
 *   to the same place under `dist/`; test files are not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'tsdown';

const SRC = 'src';
const OUT = 'dist';

/** Source-tree files the build does not compile but the modules need at run time. */
function isRuntimeAsset(file: string): boolean {
  return !file.endsWith('.ts') && !/\.test\.[^/]+$/.test(file);
}

/** Copies every runtime asset under `src/` to the same relative path under `dist/`. */
function copyRuntimeAssets(): void {
  for (const rel of fs.readdirSync(SRC, { recursive: true, encoding: 'utf8' })) {
    const from = path.join(SRC, rel);
    if (!fs.statSync(from).isFile() || !isRuntimeAsset(rel)) continue;
    const to = path.join(OUT, rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
}

export default defineConfig({
  entry: ['src/cli/main.ts'],
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  outDir: OUT,
  unbundle: true,
  root: SRC,
  // `.js`, as the sources name their imports (the package is `"type": "module"`).
  fixedExtension: false,
  clean: true,
  sourcemap: false,
  dts: false,
  deps: { alwaysBundle: [/^@grist-gateway\//] },
  hooks: { 'build:done': copyRuntimeAssets },
});
