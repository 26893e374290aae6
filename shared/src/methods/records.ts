/**
 * Record methods: get_records (with cursor paging), add_records, update_records, delete_records,
 * add_or_update_records.
 */
import { z } from 'zod';
import { cellValue, documentField, fieldValues, rowId, tableField } from '../cells.js';
import { defineMethod } from '../define.js';


/**
 * A record as the gateway returns it: flat, `{id, ...fields}` (the Python proxy's shape). A cell that holds
 * a formula error is reported in `_errors` (column id -> error text), its value being Grist's error encoding.
 */
export const flatRecord = z
  .object({
    id: rowId,
    _errors: z
      .record(z.string(), z.string())
      .optional()
      .describe('Only present when some cells hold formula errors: column id -> error message.'),
  })
  .catchall(cellValue)
  .describe('A record: its row id plus one property per column, e.g. {"id": 1, "Item": "Pen", "Qty": 3}.');

/** A `filter` value: a list of allowed values, or one value (wrapped into a list by the server). */
const filterValue = z
  .union([z.array(cellValue), cellValue], { error: 'expected a list of allowed values or a single value' })
  .describe('Allowed values (a list) or one value; a ChoiceList cell is matched with [["L", "a"]].');

/** get_records: read records, filtered, sorted, paged. */
export const getRecords = defineMethod({
  name: 'get_records',
  permission: 'read',
  title: 'Get records',
  summary: 'Read records of a table, optionally filtered, sorted, limited and paged.',
  description:
    'Reads records as {id, Col: value}, filtered, sorted, paged (pass next_cursor back as cursor). ' +
    'For conditions, joins, aggregates use sql_query. Example: ' +
    '{"table":"Orders","filter":{"Status":["open"]},"sort":"-Total","limit":50}',
  input: z.object({
    document: documentField,
    table: tableField,
    filter: z
      .record(z.string(), filterValue)
      .optional()
      .describe('Column -> allowed value(s), e.g. {"Status":["open","paid"]}.'),
    sort: z
      .union([z.string(), z.array(z.string().min(1))], {
        error: 'expected a string like "-Price,Name" or a list of strings like ["-Price", "Name"]',
      })
      .optional()
      .describe('e.g. "-Price,Name" ("-": descending) or a list.'),
    limit: z
      .int()
      .positive()
      .optional()
      .describe('Page size.'),
    cursor: z
      .string()
      .min(1)
      .optional()
      .describe('The last next_cursor.'),
  }),
  output: z.object({
    records: z.array(flatRecord).describe('The records, in the requested order (row id order by default).'),
    next_cursor: z
      .string()
      .nullable()
      .describe('Cursor for the next page, or null when there are no more records.'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  example: { method: 'get_records', table: 'Orders', filter: { Status: ['open'] }, sort: '-Total', limit: 2 },
  exampleResult: {
    records: [
      { id: 7, Item: 'Desk', Qty: 1, Status: 'open', Total: 240 },
      { id: 3, Item: 'Chair', Qty: 2, Status: 'open', Total: 180 },
    ],
    next_cursor: 'eyJ2IjoxLCJpZCI6M30',
  },
});

/** add_records: insert records. */
export const addRecords = defineMethod({
  name: 'add_records',
  permission: 'write',
  title: 'Add records',
  summary: 'Add records to a table; returns their new row ids.',
  description:
    'Adds records, all or none. Cell values: string, number, bool, null, or a Grist list like ' +
    '["L","a"]; dates in epoch seconds; formula columns are read-only. Example: ' +
    '{"table":"Orders","records":[{"Item":"Pen","Qty":3}]}',
  input: z.object({
    document: documentField,
    table: tableField,
    records: z
      .array(fieldValues.describe('Column id -> value.'))
      .describe('Records as {"Col": value}.'),
  }),
  output: z.object({
    record_ids: z.array(z.int()).describe('Row ids of the new records, in request order.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  example: { method: 'add_records', table: 'Orders', records: [{ Item: 'Pen', Qty: 3 }, { Item: 'Ink', Qty: 1 }] },
  exampleResult: { record_ids: [8, 9] },
});

/** One record of update_records: its row id and the fields to change. */
const recordUpdate = z
  .object({
    id: rowId,
    fields: fieldValues.describe('Column id -> new value.'),
  })
  .describe('One record to change.');

/** update_records: change fields of existing records. */
export const updateRecords = defineMethod({
  name: 'update_records',
  permission: 'write',
  title: 'Update records',
  summary: 'Change fields of existing records, by row id.',
  description: 'Changes fields of records by row id; other fields stay.',
  input: z.object({
    document: documentField,
    table: tableField,
    records: z.array(recordUpdate).describe('[{"id": row id, "fields": {"Col": value}}]'),
  }),
  output: z.object({
    updated: z.int().nonnegative().describe('Number of records updated.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  example: { method: 'update_records', table: 'Orders', records: [{ id: 3, fields: { Status: 'shipped' } }] },
  exampleResult: { updated: 1 },
});

/** delete_records: remove records by row id. */
export const deleteRecords = defineMethod({
  name: 'delete_records',
  permission: 'write',
  title: 'Delete records',
  summary: 'Delete records by row id.',
  description: 'Deletes records by row id, all or none.',
  input: z.object({
    document: documentField,
    table: tableField,
    record_ids: z.array(rowId).describe('Row ids.'),
  }),
  output: z.object({
    deleted: z.int().nonnegative().describe('Number of records deleted.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  example: { method: 'delete_records', table: 'Orders', record_ids: [3, 4] },
  exampleResult: { deleted: 2 },
});

/** One entry of add_or_update_records. */
const upsertEntry = z
  .object({
    require: fieldValues.describe('Column id -> value identifying the record.'),
    fields: fieldValues.optional().describe('Column id -> value to set.'),
  })
  .describe('One upsert.');

/** add_or_update_records: upsert by key columns (Grist's PUT /records). */
export const addOrUpdateRecords = defineMethod({
  name: 'add_or_update_records',
  permission: 'write',
  // Its answer says which records matched `require`, so with write alone it would let a token read data
  // by guessing values (e.g. a salary): it needs read as well.
  alsoRequires: ['read'],
  title: 'Add or update records',
  summary: 'Upsert records: update those matching `require`, add the rest.',
  description:
    'Upsert without duplicates: records matching all require values get fields; no match adds ' +
    'require + fields. Returns {record_ids, added, updated}. Example: ' +
    '{"table":"People","records":[{"require":{"Email":"a@x.org"},"fields":{"Name":"Ann"}}]}',
  input: z.object({
    document: documentField,
    table: tableField,
    records: z.array(upsertEntry).describe('[{"require": {"Col": value}, "fields": {"Col": value}}]'),
    on_many: z
      .enum(['first', 'none', 'all'])
      .optional()
      .describe('Which to update if several match (default first).'),
    add: z.boolean().optional().describe('Add if none matches (default true).'),
    update: z.boolean().optional().describe('Update matches (default true).'),
  }),
  output: z.object({
    record_ids: z
      .array(z.array(z.int()))
      .describe('Per request entry (same order), the row ids it matched or added; [] when it did nothing.'),
    added: z.array(z.int()).describe('Row ids of the records added, in creation order.'),
    updated: z.array(z.int()).describe('Row ids of the records updated (each once).'),
  }),
  // Repeating the same upsert leaves the table as it was after the first call.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  example: {
    method: 'add_or_update_records',
    table: 'People',
    records: [
      { require: { Email: 'ann@example.com' }, fields: { Name: 'Ann' } },
      { require: { Email: 'bob@example.com' }, fields: { Name: 'Bob' } },
    ],
  },
  exampleResult: { record_ids: [[4], [12]], added: [12], updated: [4] },
});
