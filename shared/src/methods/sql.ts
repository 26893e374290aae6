/** The read-only SQL method: sql_query. */
import { z } from 'zod';
import { documentField } from '../cells.js';
import { defineMethod } from '../define.js';

/** sql_query: a read-only SELECT over the document. */
export const sqlQuery = defineMethod({
  name: 'sql_query',
  permission: 'read',
  title: 'SQL query',
  summary: 'Run a read-only SQL SELECT over the document\'s tables.',
  description:
    'Runs one SQLite SELECT (or WITH ... SELECT) statement over the document and returns the result rows as ' +
    'objects of column name -> value. Tables are named by their table ids; every table has an integer "id" ' +
    'column. Use it for conditions, joins and aggregates that get_records cannot express. Only reading is ' +
    'allowed; a trailing ";" and several statements are rejected, and a slow query is stopped after a ' +
    'timeout. Use `?` placeholders with `args` instead of quoting values into the SQL. Dates are epoch ' +
    'seconds; list cells are JSON text such as \'["L","a"]\'. For large results get a session token with ' +
    'request_session_token and run a script against the JSON proxy (see get_proxy_documentation).\n' +
    'Example: {"query": "SELECT Status, COUNT(*) AS n FROM Orders WHERE Total > ? GROUP BY Status", "args": [100]}',
  input: z.object({
    document: documentField,
    query: z.string().min(1).describe('One SQLite SELECT statement, e.g. "SELECT * FROM Orders WHERE Qty > 2".'),
    args: z
      .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .nullish()
      .describe('Values for the `?` placeholders of the query, in order.'),
  }),
  output: z.object({
    records: z
      .array(z.record(z.string(), z.unknown()).describe('One result row: column name -> value.'))
      .describe('The result rows, e.g. [{"Status": "open", "n": 4}].'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  example: {
    method: 'sql_query',
    query: 'SELECT Status, COUNT(*) AS n FROM Orders WHERE Total > ? GROUP BY Status',
    args: [100],
  },
  exampleResult: { records: [{ Status: 'open', n: 4 }, { Status: 'shipped', n: 9 }] },
});
