/**
 * Record methods: get_records (with cursor paging), add_records, update_records, delete_records,
 * add_or_update_records.
 */
import { z } from 'zod';
import { cellValue, documentField, fieldValues, rowId, tableField } from '../cells.js';
import { defineMethod } from '../define.js';

/** Appended to the descriptions of the methods that move many rows: bulk work belongs in a script. */
const BULK_ADVICE =
  'For bulk work (hundreds of rows or more) get a session token with request_session_token and run a ' +
  'script against the JSON proxy (see get_proxy_documentation) instead of passing rows through a conversation.';

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
  .describe(
    'Allowed values of the column: a list (any of them matches) or a single value. To match a ' +
      'ChoiceList cell exactly, wrap its encoding in a list: [["L", "a", "b"]].',
  );

/** get_records: read records, filtered, sorted, paged. */
export const getRecords = defineMethod({
  name: 'get_records',
  permission: 'read',
  title: 'Get records',
  summary: 'Read records of a table, optionally filtered, sorted, limited and paged.',
  description:
    'Returns records as flat objects {"id": 1, "Item": "Pen", ...}. `filter` keeps records whose column ' +
    'has one of the given values (AND across columns). `sort` is a comma-separated list of column ids, ' +
    '"-" for descending ("-Price,Item"), or a list of them. With `limit` the response holds at most that ' +
    'many records and `next_cursor` is set when more remain: pass it back as `cursor` (with the same ' +
    'table, filter and sort) to get the next page; it is null on the last page. For arbitrary conditions, ' +
    'joins or aggregates use sql_query. ' +
    BULK_ADVICE +
    '\nExample: {"table": "Orders", "filter": {"Status": ["open"]}, "sort": "-Total", "limit": 50}',
  input: z.object({
    document: documentField,
    table: tableField,
    filter: z
      .record(z.string(), filterValue)
      .optional()
      .describe('Column id -> allowed values, e.g. {"Status": ["open", "paid"], "Region": "EU"}.'),
    sort: z
      .union([z.string(), z.array(z.string().min(1))], {
        error: 'expected a string like "-Price,Name" or a list of strings like ["-Price", "Name"]',
      })
      .optional()
      .describe('Sort keys: "-Price,Name" or ["-Price", "Name"]; "-" sorts descending.'),
    limit: z
      .int()
      .positive()
      .optional()
      .describe('Maximum number of records to return (a page size when paging with cursor).'),
    cursor: z
      .string()
      .min(1)
      .optional()
      .describe('Opaque paging cursor: the next_cursor of the previous page. Omit for the first page.'),
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
    'Inserts records, each given as a flat object of column id -> value ({"Item": "Pen", "Qty": 3}); ' +
    'columns left out get their default (empty) value. Formula columns cannot be written. All records are ' +
    'added or none is. Returns the new row ids in the same order. ' +
    BULK_ADVICE +
    '\nExample: {"table": "Orders", "records": [{"Item": "Pen", "Qty": 3}, {"Item": "Ink", "Qty": 1}]}',
  input: z.object({
    document: documentField,
    table: tableField,
    records: z
      .array(fieldValues.describe('Column id -> value of one new record, e.g. {"Item": "Pen", "Qty": 3}.'))
      .describe('The records to add, as flat objects of column id -> value.'),
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
    fields: fieldValues.describe('Column id -> new value; columns left out keep their value.'),
  })
  .describe('One record to change, e.g. {"id": 3, "fields": {"Qty": 5}}.');

/** update_records: change fields of existing records. */
export const updateRecords = defineMethod({
  name: 'update_records',
  permission: 'write',
  title: 'Update records',
  summary: 'Change fields of existing records, by row id.',
  description:
    'Updates existing records: each entry names a row id and the fields to change; other fields keep their ' +
    'values. Unknown row ids are an error. Returns how many records were updated. ' +
    BULK_ADVICE +
    '\nExample: {"table": "Orders", "records": [{"id": 3, "fields": {"Status": "shipped"}}]}',
  input: z.object({
    document: documentField,
    table: tableField,
    records: z.array(recordUpdate).describe('The records to update: [{"id": row id, "fields": {...}}].'),
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
  description:
    'Removes the records with the given row ids. Unknown row ids are an error (nothing is deleted then). ' +
    'This cannot be undone through the gateway. Returns how many records were deleted.\n' +
    'Example: {"table": "Orders", "record_ids": [3, 4]}',
  input: z.object({
    document: documentField,
    table: tableField,
    record_ids: z.array(rowId).describe('Row ids of the records to delete, e.g. [3, 4].'),
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
    require: fieldValues.describe(
      'Column id -> value that identifies the record, e.g. {"Email": "a@example.com"}. Records matching ' +
        'all of these are updated; when none matches, a record is added with these values plus `fields`.',
    ),
    fields: fieldValues
      .optional()
      .describe('Column id -> value to set on the matched (or new) record, e.g. {"Name": "Ann"}.'),
  })
  .describe('One upsert: {"require": {...}, "fields": {...}}.');

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
    'For each entry, finds the records whose columns equal all values in `require`. If some match, sets ' +
    '`fields` on them (with on_many = "first" only the first match, "all" every match, "none" none); if ' +
    'none matches, adds a record with the `require` and `fields` values. Set add = false to never add, ' +
    'update = false to never update. Use it to sync data without duplicates (e.g. keyed by an email or ' +
    'an external id). Returns per entry the row ids it matched or created (`record_ids`), plus the lists ' +
    'of added and updated row ids. Needs both read and write (its answer reveals which records match).\n' +
    'Example: {"table": "People", "records": [{"require": {"Email": "ann@example.com"}, "fields": {"Name": "Ann"}}]}',
  input: z.object({
    document: documentField,
    table: tableField,
    records: z.array(upsertEntry).describe('The upserts: [{"require": {...}, "fields": {...}}].'),
    on_many: z
      .enum(['first', 'none', 'all'])
      .optional()
      .describe('Which records to update when several match `require`: "first" (default), "none" or "all".'),
    add: z.boolean().optional().describe('Add a record when nothing matches (default true).'),
    update: z.boolean().optional().describe('Update the records that match (default true).'),
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
