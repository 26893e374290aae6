/** `POST /apply`: user actions, applied atomically by the engine (grist-api.md section 9). */
import { GristError } from '../../backend/errors.js';
import { jsonBody, type DocRoute } from '../context.js';
import { boolFlag } from '../query.js';

/** The `/apply` route. */
export const applyRoutes: DocRoute[] = [
  {
    method: 'POST',
    path: '/apply',
    handler: async (r) => {
      const actions = await jsonBody(r);
      if (!Array.isArray(actions)) throw new GristError(500, '`actions` parameter should be an array.');
      return r.doc.applyUserActions(actions, { noparse: boolFlag(r.query, 'noparse') });
    },
  },
];
