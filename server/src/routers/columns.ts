/** Column methods: add_column, modify_column, delete_column. */
import { methods } from '@grist-gateway/shared';
import type { ColumnFieldsInput } from '../backend/types.js';
import { GatewayError } from '../errors.js';
import { dataMethod } from '../trpc.js';
import { checkColumnType } from './grist-input.js';
import { backendOf } from './util.js';

/** The column procedures, keyed by wire name. */
export const columnsProcedures = {
  add_column: dataMethod(methods.add_column).mutation(async ({ ctx, input }) => {
    checkColumnType(input.column_type, 'column_type');
    const fields: ColumnFieldsInput = { type: input.column_type, isFormula: Boolean(input.formula) };
    if (input.formula) fields.formula = input.formula;
    if (input.label != null) fields.label = input.label;
    const [columnId] = await backendOf(ctx).addColumns(input.table, [{ id: input.column_id, fields }]);
    return { column_id: columnId ?? input.column_id };
  }),

  modify_column: dataMethod(methods.modify_column).mutation(async ({ ctx, input }) => {
    const fields: ColumnFieldsInput = {};
    if (input.type != null) {
      checkColumnType(input.type, 'type');
      fields.type = input.type;
    }
    if (input.formula != null) {
      fields.formula = input.formula;
      // An empty formula turns a formula column back into a data column, as in Grist's UI.
      fields.isFormula = input.formula !== '';
    }
    if (input.label != null) fields.label = input.label;
    if (Object.keys(fields).length === 0) {
      throw new GatewayError('INVALID_REQUEST', 'Nothing to change: give at least one of type, formula, label');
    }
    const backend = backendOf(ctx);
    // Grist renames a column whose id is tied to its label when the label changes: report the final id.
    const colRef = fields.label !== undefined ? (await backend.listColumns(input.table)).find((c) => c.id === input.column_id)?.fields.colRef : undefined;
    await backend.modifyColumns(input.table, [{ id: input.column_id, fields }]);
    if (colRef === undefined) return { column_id: input.column_id };
    const renamed = (await backend.listColumns(input.table)).find((c) => c.fields.colRef === colRef);
    return { column_id: renamed?.id ?? input.column_id };
  }),

  delete_column: dataMethod(methods.delete_column).mutation(async ({ ctx, input }) => {
    await backendOf(ctx).deleteColumn(input.table, input.column_id);
    return { deleted: input.column_id };
  }),
};
