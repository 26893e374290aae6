/**
 * The gateway as a library (the CLI is `bin/grist-gateway.js`), for the repository's own packages and tests:
 * `import { appRouter } from 'grist-gateway'` resolves here through the root tsconfig.json `paths` and the
 * vitest alias. The published package is the CLI only: it exports no library entry.
 */
export { createGateway, publicUrlFromEnv, type Gateway, type GatewayOptions } from './gateway.js';
export { appRouter, createCaller, type AppRouter } from './routers/index.js';
export { createContextInner, contextFromBearer, type Context, type GatewayServices, type Grant } from './context.js';
export { GatewayError } from './errors.js';
export type { DocBackend } from './backend/types.js';
export { GristError } from './backend/errors.js';
