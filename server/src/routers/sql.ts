/** The read-only SQL method: sql_query. */
import { methods } from '@grist-gateway/shared';
import { GatewayError } from '../errors.js';
import { dataMethod } from '../trpc.js';
import { checkOneStatement } from './grist-input.js';
import { backendOf } from './util.js';

/** The SQL procedures, keyed by wire name. */
export const sqlProcedures = {
  sql_query: dataMethod(methods.sql_query).query(async ({ ctx, input, signal }) => {
    checkOneStatement(input.query);
    // signal: the caller went away (its query is dropped or stopped); principal: fair turns per caller.
    const result = await backendOf(ctx).sql(input.query, { args: input.args ?? null, ...(signal ? { signal } : {}), principal: `${ctx.grant.via}:${ctx.grant.principal}` });
    // A result column named __proto__ would vanish when the answer is validated and serialised: refuse it.
    if (result.records[0] && Object.hasOwn(result.records[0].fields, '__proto__')) {
      throw new GatewayError('INVALID_REQUEST', 'query: a result column is named "__proto__"; rename it with AS');
    }
    return { records: result.records.map((r) => r.fields) };
  }),
};
