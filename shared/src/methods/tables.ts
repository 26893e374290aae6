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
  description: 'Lists the user tables.',
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
    'A table\'s columns: id, type, label, formula (Python, as in Grist; read-only), options.',
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
  description: 'Creates a table. Returns {table_id}, which Grist may normalise.',
  input: z.object({
    document: documentField,
    table_id: z.string().min(1).describe('Requested table id.'),
    columns: z.array(newColumn).min(1).describe('Columns {id, type (see add_column), label?, formula?}.'),
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
  description: 'Renames a table; Ref columns follow.',
  input: z.object({
    document: documentField,
    table: tableField,
    new_table_id: z.string().min(1).describe('New table id.'),
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
  description: 'Deletes a table and its records.',
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
