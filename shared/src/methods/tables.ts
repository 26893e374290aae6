/**
 * Table methods: list_tables, describe_table, create_table, rename_table, delete_table.
 */
import { z } from 'zod';
import { documentField, tableField } from '../cells.js';
import { defineMethod } from '../define.js';
import { columnDescription, newColumn } from './columns.js';

/** list_tables: the ids of every table in the document. */
export const listTables = defineMethod({
  name: 'list_tables',
  permission: 'read',
  title: 'List tables',
  summary: 'List the ids of all tables in the document.',
  description:
    'Returns the id of every user table in the document (not the hidden _grist_* metadata tables). ' +
    'Start here, then use describe_table to see a table\'s columns.\nExample: {} -> {"tables": ["Orders", "Customers"]}',
  input: z.object({
    document: documentField,
  }),
  output: z.object({
    tables: z.array(z.string()).describe('Table ids, e.g. ["Orders", "Customers"].'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  example: { method: 'list_tables' },
  exampleResult: { tables: ['Orders', 'Customers'] },
});

/** describe_table: the columns of one table. */
export const describeTable = defineMethod({
  name: 'describe_table',
  permission: 'read',
  title: 'Describe table',
  summary: 'Describe the columns of a table (id, type, label, formula, options).',
  description:
    'Returns every visible column of a table with its id, type, label, formula, whether it is a formula ' +
    'column, and its display options (choices of a Choice column, ...). Use it before reading or writing ' +
    'records to learn the column ids and types; formula columns cannot be written.\n' +
    'Example: {"table": "Orders"}',
  input: z.object({
    document: documentField,
    table: tableField,
  }),
  output: z.object({
    table: z.string().describe('The table id that was described.'),
    columns: z.array(columnDescription).describe('The columns, in the table\'s column order.'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  example: { method: 'describe_table', table: 'Orders' },
  exampleResult: {
    table: 'Orders',
    columns: [
      { id: 'Item', type: 'Text', label: 'Item', formula: '', isFormula: false, widgetOptions: null },
      {
        id: 'Status',
        type: 'Choice',
        label: 'Status',
        formula: '',
        isFormula: false,
        widgetOptions: { choices: ['open', 'shipped'] },
      },
      { id: 'Total', type: 'Numeric', label: 'Total', formula: '$Price * $Qty', isFormula: true, widgetOptions: null },
    ],
  },
});

/** create_table: a new table with its columns. */
export const createTable = defineMethod({
  name: 'create_table',
  permission: 'schema',
  title: 'Create table',
  summary: 'Create a table with the given columns.',
  description:
    'Creates a new table and returns its final id. Grist normalises table ids: the first letter is ' +
    'upper-cased, spaces and other characters become "_", and an id already in use gets a number appended ' +
    '("Orders" -> "Orders2"), so use the returned table_id afterwards. Requires the schema permission.\n' +
    'Example: {"table_id": "Orders", "columns": [{"id": "Item", "type": "Text"}, {"id": "Qty", "type": "Int"}]}',
  input: z.object({
    document: documentField,
    table_id: z.string().min(1).describe('Requested id of the new table, e.g. "Orders".'),
    columns: z
      .array(newColumn)
      .min(1)
      .describe('The columns to create (at least one), e.g. [{"id": "Item", "type": "Text"}].'),
  }),
  output: z.object({
    table_id: z.string().describe('Final id of the new table (may differ from the one requested).'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  example: {
    method: 'create_table',
    table_id: 'Orders',
    columns: [
      { id: 'Item', type: 'Text' },
      { id: 'Qty', type: 'Int' },
      { id: 'Price', type: 'Numeric', label: 'Unit price' },
    ],
  },
  exampleResult: { table_id: 'Orders' },
});

/** rename_table: change a table's id. */
export const renameTable = defineMethod({
  name: 'rename_table',
  permission: 'schema',
  title: 'Rename table',
  summary: 'Rename a table (change its id).',
  description:
    'Changes a table\'s id and returns the final id (normalised like create_table\'s). Grist updates ' +
    'Ref/RefList columns that point to the table, but scripts using the old id will stop working. ' +
    'Requires the schema permission.\nExample: {"table": "Orders", "new_table_id": "Sales"}',
  input: z.object({
    document: documentField,
    table: tableField,
    new_table_id: z.string().min(1).describe('The new table id, e.g. "Sales".'),
  }),
  output: z.object({
    table_id: z.string().describe('Final id of the renamed table.'),
  }),
  // Destructive: everything that addressed the table by its old id breaks.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  example: { method: 'rename_table', table: 'Orders', new_table_id: 'Sales' },
  exampleResult: { table_id: 'Sales' },
});

/** delete_table: remove a table and its data. */
export const deleteTable = defineMethod({
  name: 'delete_table',
  permission: 'schema',
  title: 'Delete table',
  summary: 'Delete a table and all its records.',
  description:
    'Removes a table with all its columns and records. Ref columns in other tables that pointed to it are ' +
    'converted (Ref becomes Int, RefList becomes Text). This cannot be undone through the gateway. ' +
    'Requires the schema permission.\nExample: {"table": "Scratch"}',
  input: z.object({
    document: documentField,
    table: tableField,
  }),
  output: z.object({
    deleted: z.string().describe('Id of the deleted table.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  example: { method: 'delete_table', table: 'Scratch' },
  exampleResult: { deleted: 'Scratch' },
});
