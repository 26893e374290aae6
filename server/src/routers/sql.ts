/** The read-only SQL method: sql_query. */
import { methods } from '@grist-gateway/shared';
import { dataMethod } from '../trpc.js';
import { checkOneStatement } from './grist-input.js';
import { backendOf } from './util.js';

/** The SQL procedures, keyed by wire name. */
export const sqlProcedures = {
  sql_query: dataMethod(methods.sql_query).query(async ({ ctx, input }) => {
    checkOneStatement(input.query);
    const result = await backendOf(ctx).sql(input.query, { args: input.args ?? null });
    return { records: result.records.map((r) => r.fields) };
  }),
};
