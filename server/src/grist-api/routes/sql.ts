/** `GET /sql?q=` and `POST /sql` (grist-api.md section 7). */
import { GristError } from '../../backend/errors.js';
import type { SqlOptions } from '../../backend/types.js';
import { jsonBody, type DocRoute } from '../context.js';
import { checkSqlPost } from '../validate.js';

/** The SQL routes. */
export const sqlRoutes: DocRoute[] = [
  {
    method: 'GET',
    path: '/sql',
    handler: async (r) => {
      const q = r.query.all('q')[0];
      if (q === undefined) throw new GristError(400, 'q parameter is required');
      return r.doc.sql(q);
    },
  },
  {
    method: 'POST',
    path: '/sql',
    handler: async (r) => {
      const body = checkSqlPost(await jsonBody(r));
      const options: SqlOptions = {};
      if (body.args !== undefined) options.args = body.args;
      if (body.timeout !== undefined) options.timeoutMs = body.timeout;
      return r.doc.sql(body.sql, options);
    },
  },
];
