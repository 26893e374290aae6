#!/usr/bin/env node
// The grist-gateway CLI.
// - Installed package (`npm i -g grist-gateway`, `npx -y grist-gateway`): runs the compiled `dist/` (built
//   by `npm pack` through `prepack`); plain node, no TypeScript tooling at run time.
// - Repository checkout: the sources are next to this file, and they win over any `dist/` left by a pack,
//   so `npm start` and `npx grist-gateway` always run what you are editing, through tsx's loader (a dev
//   dependency of the repository), with no build step.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(sources)) {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch (err) {
    process.stderr.write(
      `grist-gateway: running from the sources needs tsx, a dev dependency: run "npm ci" (without --omit=dev) ` +
        `at the repository root, or install the built package (npm pack in server/).\n  ${err.message}\n`,
    );
    process.exit(1);
  }
  tsx.register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import('../dist/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2));
