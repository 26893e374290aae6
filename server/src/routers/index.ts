/**
 * The gateway's one router: every method of the registry, flat and keyed by its wire name, so
 * `caller[method](input)` serves the JSON proxy and the MCP tools, and `client.add_records.mutate()` the
 * typed client.
 */
import { createCallerFactory, router } from '../trpc.js';
import { columnsProcedures } from './columns.js';
import { recordsProcedures } from './records.js';
import { sessionsProcedures } from './sessions.js';
import { sqlProcedures } from './sql.js';
import { tablesProcedures } from './tables.js';

/** The router of every gateway method. */
export const appRouter = router({
  ...tablesProcedures,
  ...recordsProcedures,
  ...sqlProcedures,
  ...columnsProcedures,
  ...sessionsProcedures,
});

/** The router's type: what `@grist-gateway/client` is typed against. */
export type AppRouter = typeof appRouter;

/** Makes an in-process caller for a context. */
export const createCaller = createCallerFactory(appRouter);
