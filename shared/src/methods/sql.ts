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
    'Runs one read-only SQLite SELECT; tables by id, each with an integer id column; dates are epoch ' +
    'seconds. Example: {"query":"SELECT Item, SUM(Qty) AS n FROM Orders WHERE Total > ? GROUP BY ' +
    'Item","args":[100]}',
  input: z.object({
    document: documentField,
    query: z.string().min(1).describe('One SQLite SELECT statement.'),
    args: z
      .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .nullish()
      .describe('Values for the ? placeholders.'),
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
