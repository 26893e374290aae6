/**
 * Build of the publishable package (run by `npm run build`, and by `npm pack` / `npm publish` through
 * `prepack`, so the tarball always holds a fresh `dist/`):
 *
 * - `dist/index.js` (ESM) and `dist/index.cjs` (CommonJS), with `dist/index.d.ts` / `dist/index.d.cts`:
 *   only `@trpc/client`, `@trpc/server` and `superjson` are imported at run time (the package's
 *   dependencies, kept external). The schema codegen of `@grist-gateway/shared` (private, never
 *   published) is bundled in; server code is referenced by `import type` only and never reaches the JS.
 * - Types: the router's type is inlined from the server workspace `grist-gateway` (published as a CLI
 *   only) and `@grist-gateway/shared`, so a
 *   consumer needs only this package and its dependencies.
 * - `dist/cli.js`: the package's bin (`npx @grist-gateway/client types ...`).
 */
import { defineConfig } from 'tsdown';

const deps = {
  neverBundle: ['@trpc/client', '@trpc/server', 'superjson'],
  // The workspace packages: types to inline, and the codegen's code to bundle.
  alwaysBundle: [/^@grist-gateway\//, /^grist-gateway$/],
};

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    platform: 'neutral',
    target: 'es2022',
    outDir: 'dist',
    clean: true,
    sourcemap: false,
    fixedExtension: false,
    dts: {
      // The repo's single root tsconfig (strict, NodeNext); declarations are emitted by tsc, because the
      // router's type is inferred (isolated declarations cannot spell it out).
      tsconfig: '../tsconfig.json',
      resolver: 'tsc',
      eager: true,
    },
    deps,
  },
  {
    entry: { cli: 'src/cli.ts' },
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    outDir: 'dist',
    clean: false,
    sourcemap: false,
    fixedExtension: false,
    dts: false,
    deps,
  },
]);
