import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Workspace packages export their TypeScript sources under this condition (e.g. the server's
 * `"exports": {".": {"@grist-gateway/source": "./src/index.ts"}}`); the published builds never see it.
 */
const SOURCE_CONDITION = '@grist-gateway/source';

export default defineConfig({
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
  test: {
    include: ['{shared,server,client,scripts}/{src,test}/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
