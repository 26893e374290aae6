/**
 * Every limit the gateway enforces to keep one client from starving the others, exhausting memory, or
 * hanging start-up, with its default, in one place. The README's "Limits" section lists the same names;
 * `server/src/limits/limits.test.ts` checks that none is missing there.
 *
 * Each limit is enforced where the work happens (named in its comment); those places import it from here.
 */

/** The limits and their defaults. */
export const limits = {
  /** Largest JSON body of `/api/v1/proxy` and `/trpc`, bytes (http/app.ts). */
  maxBodyBytes: 64 * 1024 * 1024,
  /** Largest attachment upload (the whole multipart body), bytes (http/attachments.ts). */
  maxUploadBytes: 25 * 1024 * 1024,
  /** Most parts a multipart upload may have (http/multipart.ts). */
  maxMultipartParts: 100,
  /** Most records (or ids) one write call may carry (routers/util.ts, via context.ts `defaultLimits`). */
  maxRecordsPerWrite: 100_000,
  /** Rows an embedded add writes per step; a larger add runs in steps of one transaction, other requests in between (engine/document.ts). */
  writeStepRows: 1_000,
  /** Page size of `get_records` with a cursor but no `limit` (routers/records.ts, via `defaultLimits`). */
  defaultPageSize: 1000,
  /** Most calls in one tRPC batch (http/app.ts). */
  maxTrpcBatch: 100,
  /** Most rows one `sql_query` may return (engine/sql-child.js). */
  maxSqlRows: 100_000,
  /** Most bytes (JSON size of the cells) one `sql_query` may return (engine/sql-child.js). */
  maxSqlBytes: 16 * 1024 * 1024,
  /**
   * Data memory of one SQL child process, SQLite and node included (RLIMIT_DATA, engine/sql.ts). The
   * lowest cap that still answers everything `maxSqlBytes` allows, measured (Node 20, x64, VmData): an
   * idle child holds 35 MB; the child streams answers, so many rows cost little (16 MiB of two-byte text
   * in 1,000-character rows peaks at 62 MB), and the worst is one huge cell, which SQLite and V8 hold
   * at once: a 16 Mi-character cell peaks at 70 MB in ASCII, 86 MB in Latin-1, 105 MB in emoji and
   * 121 MB in CJK (3 bytes in SQLite, 2 in V8). A value SQLite builds (printf, ||, group_concat)
   * needs up to 2-3 times its size while it grows: `printf('%.*c', 100000000, 'x')` fails with
   * SQLITE_NOMEM at 83 MB (413), where 256 MiB let it grow to 193 MB before refusing it.
   */
  maxSqlMemoryBytes: 128 * 1024 * 1024,
  /** SQL child processes per document: queries running at once, one per principal (engine/sql.ts). */
  sqlWorkers: 2,
  /** Most SQL queries waiting for one document (besides the running ones) (engine/sql.ts). */
  maxSqlQueue: 32,
  /** Most SQL queries one principal may have waiting for one document (engine/sql.ts). */
  maxSqlQueuePerPrincipal: 8,
  /** Sort orders kept per embedded document for keyset pages of sorted reads (engine/sorted-pages.ts). */
  sortCacheEntries: 8,
  /** Rows read per step when a kept sort order is built, between which other requests run (engine/sorted-pages.ts). */
  sortSliceRows: 2_500,
  /** Rows of `get_records` without `limit` read per slice before yielding to the event loop (http/stream-records.ts). */
  readSliceRows: 1_000,
  /** Largest config file, bytes (config/yaml.ts). */
  maxConfigBytes: 1024 * 1024,
  /** Most nodes the config may expand to once its aliases are resolved (config/yaml.ts). */
  maxConfigNodes: 100_000,
} as const;

/** The names of the limits. */
export type LimitName = keyof typeof limits;
