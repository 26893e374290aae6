import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // In the workspace the client resolves to its sources (its package.json points at the built dist/).
  resolve: { alias: { '@grist-gateway/client': fileURLToPath(new URL('./client/src/index.ts', import.meta.url)) } },
  test: {
    include: ['{shared,server,client,scripts}/{src,test}/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
