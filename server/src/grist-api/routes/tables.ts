/**
 * Table and column routes: `GET/POST/PATCH /tables`, `GET/POST/PATCH/PUT /tables/{t}/columns`,
 * `DELETE /tables/{t}/columns/{colId}` (grist-api.md sections 2 and 3).
 */
import { GristError } from '../../backend/errors.js';
import type { ColumnFieldsInput } from '../../backend/types.js';
import { jsonBody, tableParam, type DocRoute } from '../context.js';
import { boolFlag } from '../query.js';
import { checkColumnsPatch, checkColumnsPost, checkTablesPatch, checkTablesPost } from '../validate.js';

/** Columns of metadata tables are not listed by Grist (08 unknown-table-meta-columns). */
function refuseMetaTable(tableId: string): void {
  if (tableId.startsWith('_grist_')) throw new GristError(500, 'getTableCols not available for meta tables');
}

/** The table and column routes. */
export const tableRoutes: DocRoute[] = [
  {
    method: 'GET',
    path: '/tables',
    handler: async (r) => {
      const expand = r.query.all('expand')[0];
      if (expand === undefined) return { tables: await r.doc.listTables() };
      if (expand !== 'column') {
        // Grist's query validator text (01 tables-expand-bogus).
        throw new GristError(500, `Value '${JSON.stringify(expand)}' is not assignable to type '"column"'.`);
      }
      return { tables: await r.doc.listTablesWithColumns() };
    },
  },
  {
    method: 'POST',
    path: '/tables',
    handler: async (r) => {
      const tables = checkTablesPost(await jsonBody(r));
      const ids = await r.doc.createTables(tables.map((t) => ({ ...t, columns: t.columns.map((c) => ({ ...c })) })));
      return { tables: ids.map((id) => ({ id })) };
    },
  },
  {
    method: 'PATCH',
    path: '/tables',
    handler: async (r) => {
      const tables = checkTablesPatch(await jsonBody(r));
      await r.doc.updateTables(tables);
      return null;
    },
  },
  {
    method: 'GET',
    path: '/tables/:tableId/columns',
    handler: async (r) => {
      const tableId = tableParam(r);
      refuseMetaTable(tableId);
      return { columns: await r.doc.listColumns(tableId, { hidden: boolFlag(r.query, 'hidden') }) };
    },
  },
  {
    method: 'POST',
    path: '/tables/:tableId/columns',
    handler: async (r) => {
      const columns = checkColumnsPost(await jsonBody(r));
      const tableId = tableParam(r);
      const ids = await r.doc.addColumns(tableId, columns as { id?: string; fields?: ColumnFieldsInput }[]);
      return { columns: ids.map((id) => ({ id })) };
    },
  },
  {
    method: 'PATCH',
    path: '/tables/:tableId/columns',
    handler: async (r) => {
      const columns = checkColumnsPatch(await jsonBody(r));
      const tableId = tableParam(r);
      await r.doc.modifyColumns(tableId, columns as { id: string; fields: ColumnFieldsInput }[]);
      return null;
    },
  },
  {
    method: 'PUT',
    path: '/tables/:tableId/columns',
    handler: async (r) => {
      const columns = checkColumnsPatch(await jsonBody(r), 'value');
      const tableId = tableParam(r);
      await r.doc.putColumns(tableId, columns as { id: string; fields: ColumnFieldsInput }[], {
        noadd: boolFlag(r.query, 'noadd'),
        noupdate: boolFlag(r.query, 'noupdate'),
        replaceall: boolFlag(r.query, 'replaceall'),
      });
      return null;
    },
  },
  {
    method: 'DELETE',
    path: '/tables/:tableId/columns/:colId',
    handler: async (r) => {
      const colId = r.param('colId');
      let tableId: string;
      try {
        tableId = tableParam(r);
      } catch (err) {
        // An unknown table gets the same text as an unknown column here (06 delete-column-unknown-table).
        if (err instanceof GristError && err.status === 404) {
          throw new GristError(404, `Table or column not found "${r.param('tableId')}.${colId}"`, undefined, { kind: 'table' });
        }
        throw err;
      }
      await r.doc.deleteColumn(tableId, colId);
      return null;
    },
  },
];
