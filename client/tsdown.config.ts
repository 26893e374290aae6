/**
 * Build of the publishable package: ESM `dist/index.js` plus one bundled `dist/index.d.ts`.
 *
 * - JS: only `@trpc/client` and `superjson` are imported at run time (the package's dependencies, kept
 *   external); server and shared code is referenced by `import type` only, so nothing of it is bundled.
 * - Types: the router's type is inlined from the server workspace `grist-gateway` (published as a CLI only,
 *   with no library entry) and `@grist-gateway/shared` (private), so a consumer needs only this package and
 *   its dependencies.
 */
import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  outDir: 'dist',
  clean: true,
  sourcemap: false,
  dts: {
    // The repo's single root tsconfig (strict, NodeNext); declarations are emitted by tsc, because the
    // router's type is inferred (isolated declarations cannot spell it out).
    tsconfig: '../tsconfig.json',
    resolver: 'tsc',
  },
  deps: {
    neverBundle: ['@trpc/client', '@trpc/server', 'superjson'],
    // The workspace packages hold the types to inline; they never reach the JS (type-only imports).
    alwaysBundle: [/^@grist-gateway\//, /^grist-gateway$/],
  },
});
