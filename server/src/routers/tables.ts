/** Table methods: list_tables, describe_table, create_table, rename_table, delete_table. */
import { methods } from '@grist-gateway/shared';
import type { ColumnFieldsInput } from '../backend/types.js';
import { dataMethod } from '../trpc.js';
import { checkColumnType } from './grist-input.js';
import { backendOf, parseWidgetOptions } from './util.js';

/** The table procedures, keyed by wire name. */
export const tablesProcedures = {
  list_tables: dataMethod(methods.list_tables).query(async ({ ctx }) => {
    const tables = await backendOf(ctx).listTables();
    return { tables: tables.map((t) => t.id) };
  }),

  describe_table: dataMethod(methods.describe_table).query(async ({ ctx, input }) => {
    const columns = await backendOf(ctx).listColumns(input.table);
    return {
      table: input.table,
      columns: columns.map((c) => ({
        id: c.id,
        type: c.fields.type,
        label: c.fields.label,
        formula: c.fields.formula,
        isFormula: c.fields.isFormula,
        widgetOptions: parseWidgetOptions(c.fields.widgetOptions),
        description: c.fields.description,
      })),
    };
  }),

  create_table: dataMethod(methods.create_table).mutation(async ({ ctx, input }) => {
    input.columns.forEach((c, i) => checkColumnType(c.type, `columns[${i}].type`));
    const [tableId] = await backendOf(ctx).createTables([
      {
        id: input.table_id,
        columns: input.columns.map((c) => {
          const fields: ColumnFieldsInput = { type: c.type, isFormula: Boolean(c.formula) };
          if (c.label != null) fields.label = c.label;
          if (c.formula) fields.formula = c.formula;
          return { id: c.id, fields };
        }),
      },
    ]);
    return { table_id: tableId ?? input.table_id };
  }),

  rename_table: dataMethod(methods.rename_table).mutation(async ({ ctx, input }) => {
    const tableId = await backendOf(ctx).renameTable(input.table, input.new_table_id);
    return { table_id: tableId };
  }),

  delete_table: dataMethod(methods.delete_table).mutation(async ({ ctx, input }) => {
    await backendOf(ctx).removeTable(input.table);
    return { deleted: input.table };
  }),
};
