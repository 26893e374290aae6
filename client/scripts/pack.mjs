#!/usr/bin/env node
/**
 * Packs the built client (`dist/`) into a publishable tarball: `node scripts/pack.mjs [--out DIR]`.
 *
 * Why not plain `npm pack`: in the workspace the package's `exports` point at `src/index.ts` (so the
 * repo's tests and scripts use the source), and npm, unlike pnpm and yarn, does not apply
 * `publishConfig.exports/main/types` when packing (npm/cli#7586). So this stages `dist/` with a manifest
 * where `publishConfig` is applied and dev-only fields are dropped, then runs `npm pack` there.
 * Publish the result with `npm publish <tarball>`. Prints the tarball's absolute path on stdout.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const outDir = path.resolve(outIndex > 0 && process.argv[outIndex + 1] ? process.argv[outIndex + 1] : packageDir);

const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
for (const file of ['index.js', 'index.d.ts']) {
  if (!fs.existsSync(path.join(packageDir, 'dist', file))) {
    console.error(`dist/${file} is missing: run "npm run build" in ${packageDir} first`);
    process.exit(1);
  }
}

const { publishConfig = {}, devDependencies: _dev, scripts: _scripts, ...published } = manifest;
const { exports, main, types, ...npmConfig } = publishConfig;
Object.assign(published, { exports, main, types, sideEffects: false, engines: { node: '>=20' } });
if (Object.keys(npmConfig).length > 0) published.publishConfig = npmConfig;

const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-client-pack-'));
try {
  fs.cpSync(path.join(packageDir, 'dist'), path.join(stage, 'dist'), { recursive: true });
  for (const extra of ['README.md', 'LICENSE']) {
    if (fs.existsSync(path.join(packageDir, extra))) fs.copyFileSync(path.join(packageDir, extra), path.join(stage, extra));
  }
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
  fs.mkdirSync(outDir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: stage, encoding: 'utf8' });
  const [info] = JSON.parse(out);
  console.log(path.join(outDir, info.filename));
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
