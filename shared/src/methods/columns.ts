/**
 * Column methods: add_column, modify_column, delete_column, and the column shapes shared with the table
 * methods (create_table's new columns, describe_table's column descriptions).
 */
import { z } from 'zod';
import { columnIdField, documentField, tableField } from '../cells.js';
import { defineMethod } from '../define.js';

/** Description of a column type, reused by every field that takes one. */
const COLUMN_TYPE_HELP =
  'Text, Numeric, Int, Bool, Date, DateTime:<tz>, Choice, ChoiceList, Ref:<Table>, RefList:<Table>, Attachments or Any.';

/** Optional string fields from the Python proxy also accept `null` (Python scripts send `None` for "not set"). */
const optionalFormula = z
  .string()
  .nullish()
  .describe('Python formula as in Grist, e.g. "$Price * $Qty".');

const optionalLabel = z
  .string()
  .nullish()
  .describe('Label.');

/** A column to create with create_table: `[{id, type}]` as in the Python proxy, plus optional label and formula. */
export const newColumn = z.object({
  id: z.string().min(1).describe('Column id.'),
  type: z.string().min(1).describe(COLUMN_TYPE_HELP),
  label: optionalLabel,
  formula: optionalFormula,
});

/** One column as describe_table reports it. Field names inside the column keep Grist's camelCase. */
export const columnDescription = z.object({
  id: z.string().describe('Column id.'),
  type: z.string().describe('Column type, e.g. "Numeric", "Ref:People", "DateTime:UTC".'),
  label: z.string().describe('Display label.'),
  formula: z.string().describe('Python formula, evaluated as in Grist ("" when none).'),
  isFormula: z
    .boolean()
    .describe('true for a formula column (computed, cannot be written); false for a data column.'),
  widgetOptions: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('Display options (e.g. {"choices": ["Red", "Blue"]} for a Choice column), or null when none.'),
});

/** add_column: add one column to a table. */
export const addColumn = defineMethod({
  name: 'add_column',
  permission: 'schema',
  title: 'Add column',
  summary: 'Add a column to a table.',
  description:
    'Adds a column (a formula column if given a formula). Returns {column_id}, which Grist may ' +
    'normalise.',
  input: z.object({
    document: documentField,
    table: tableField,
    column_id: z.string().min(1).describe('New column id.'),
    column_type: z.string().min(1).describe(COLUMN_TYPE_HELP),
    formula: optionalFormula,
    label: optionalLabel,
  }),
  output: z.object({
    column_id: z.string().describe('Final id of the new column (may differ from the one requested).'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  example: { method: 'add_column', table: 'Orders', column_id: 'Total', column_type: 'Numeric', formula: '$Price * $Qty' },
  exampleResult: { column_id: 'Total' },
});

/** modify_column: change a column's type, formula or label. */
export const modifyColumn = defineMethod({
  name: 'modify_column',
  permission: 'schema',
  title: 'Modify column',
  summary: "Change a column's type, formula or label.",
  description: 'Changes a column\'s type (converting values), formula or label.',
  input: z.object({
    document: documentField,
    table: tableField,
    column_id: columnIdField,
    type: z.string().min(1).nullish().describe('New type (see add_column).'),
    formula: z.string().nullish().describe('New formula.'),
    label: z.string().nullish().describe('New label.'),
  }),
  output: z.object({
    column_id: z.string().describe('Id of the modified column.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  example: { method: 'modify_column', table: 'Orders', column_id: 'Qty', type: 'Int' },
  exampleResult: { column_id: 'Qty' },
});

/** delete_column: remove a column and its data. */
export const deleteColumn = defineMethod({
  name: 'delete_column',
  permission: 'schema',
  title: 'Delete column',
  summary: 'Delete a column and all its values.',
  description: 'Deletes a column and its values.',
  input: z.object({
    document: documentField,
    table: tableField,
    column_id: columnIdField,
  }),
  output: z.object({
    deleted: z.string().describe('Id of the deleted column.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  example: { method: 'delete_column', table: 'Orders', column_id: 'Notes' },
  exampleResult: { deleted: 'Notes' },
});
