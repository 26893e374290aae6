import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // In the workspace the client and the server resolve to their sources (the client's package.json points
  // at the built dist/; the published package grist-gateway is a CLI with no library entry).
  resolve: {
    alias: {
      '@grist-gateway/client': fileURLToPath(new URL('./client/src/index.ts', import.meta.url)),
      'grist-gateway': fileURLToPath(new URL('./server/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['{shared,server,client,scripts}/{src,test}/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
