/**
 * The router type the client is typed against: the server's `AppRouter` reduced to what a client needs.
 *
 * Why not re-export the server's type as is: its root carries the server `Context` (services, logger,
 * SQLite handles...) and its procedures the server's `Meta`, so the published `index.d.ts` would drag
 * server internals and pino, hono and better-sqlite3 types along. A client needs the procedures (kind,
 * input, output), the error shape and the transformer flag; {@link clientView} keeps exactly those.
 *
 * This module is imported with `import type` only and never runs: `clientRouter` exists so that the
 * declaration emitter prints the router's *inferred* type in full (every method's input and output
 * spelled out), which is what the bundled `dist/index.d.ts` inlines.
 */
import type { AnyProcedure, AnyRouter, TRPCBuiltRouter, TRPCMutationProcedure, TRPCQueryProcedure } from '@trpc/server';
import type { AppRouter as ServerRouter } from 'grist-gateway';
import type { GatewayErrorShape } from './errors.js';

/**
 * A router's procedures with only kind, input and output kept (context, meta and the server's error
 * shape replaced). Written inline, not through helper aliases, so the emitter expands it. The gateway's
 * router is flat (one procedure per method), so nested routers are not handled.
 *
 * Query results whose `records` mix a string index signature with named fields of another type (a
 * record `{id, _errors?, [column]: CellValue}`) are split into an intersection: inferred, that type is
 * fine, but spelled out in a declaration file it is an error (TS2411) for consumers who do not skip
 * library checks. Reading `record.id`, `record._errors` or `record.Name` gives the same types.
 */
declare function clientView<R extends AnyRouter>(): TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: GatewayErrorShape; transformer: true },
  {
    [K in keyof R['_def']['record']]: R['_def']['record'][K] extends AnyProcedure
      ? R['_def']['record'][K]['_def']['type'] extends 'query'
        ? TRPCQueryProcedure<{
            input: R['_def']['record'][K]['_def']['$types']['input'];
            output: R['_def']['record'][K]['_def']['$types']['output'] extends infer O
              ? O extends { records: (infer Rec)[] }
                ? string extends keyof Rec
                  ? {
                      [P in keyof O]: P extends 'records'
                        ? ({ [Q in keyof Rec as string extends Q ? Q : never]: Rec[Q] } & {
                            [Q in keyof Rec as string extends Q ? never : Q]: Rec[Q];
                          })[]
                        : O[P];
                    }
                  : O
                : O
              : never;
            meta: object;
            errorShape: GatewayErrorShape;
          }>
        : TRPCMutationProcedure<{
            input: R['_def']['record'][K]['_def']['$types']['input'];
            output: R['_def']['record'][K]['_def']['$types']['output'];
            meta: object;
            errorShape: GatewayErrorShape;
          }>
      : never;
  }
>;

/** Type carrier only: this module is never loaded at run time (see the file comment). */
export const clientRouter = clientView<ServerRouter>();

/** The gateway's router as the client sees it: one procedure per gateway method. */
export type AppRouter = typeof clientRouter;
