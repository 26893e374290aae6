/**
 * Display formulas (`SetDisplayFormula`): a Ref column shows another column of the referenced table
 * through a hidden helper formula column `gristHelper_Display` (then `gristHelper_Display2`, ...) of type
 * Any, which the column's `displayCol` points to. Behaviour follows grist-core's user action (from its
 * documentation and recorded answers, 03-records-read): a helper used only by this column gets the new
 * formula; otherwise a helper of the table with the same formula is shared, or a new one is added; an
 * empty formula unsets `displayCol`. A helper no column uses any more is removed (Grist's auto-remove),
 * also after its column is removed. The helper is an ordinary formula column: it recomputes, renames
 * rewrite its formula, SQL sees it, and reads list it only with `hidden` (meta.ts `isHiddenColId`).
 */
import { GristError } from '../backend/errors.js';
import { addColumns, dropUnusedDisplayHelpers } from './columns.js';
import { DISPLAY_HELPER_PREFIX, type ColumnMeta, type TableMeta } from './meta.js';
import type { Store } from './store.js';

function sandbox(text: string): GristError {
  return new GristError(500, `[Sandbox] ${text}`, undefined, { kind: 'payload' });
}

/** The column a `SetDisplayFormula` names by colRef (a number) or colId (a string), in the given table. */
function targetColumn(table: TableMeta, colRef: unknown): ColumnMeta {
  const col = typeof colRef === 'string' ? table.byId.get(colRef)
    : typeof colRef === 'number' ? table.columns.find((c) => c.colRef === colRef) : undefined;
  if (!col) {
    throw sandbox(`KeyError SetDisplayFormula: no column ${JSON.stringify(colRef)} in table ${table.tableId}`);
  }
  return col;
}

/** How many columns of the document use `helperRef` as their display column. */
function displayColUsers(store: Store, helperRef: number): number {
  const row = store.db.prepare('SELECT count(*) AS n FROM "_grist_Tables_column" WHERE displayCol = ?').get(helperRef) as { n: number };
  return row.n;
}

/**
 * `["SetDisplayFormula", tableId, fieldRef, colRef, formula]` for a column (fieldRef null or 0). This
 * engine has no view fields, so a fieldRef is refused with an error that says so.
 */
export function setDisplayFormula(store: Store, tableId: string, fieldRef: unknown, colRef: unknown, formula: unknown): void {
  if (fieldRef && colRef) { throw sandbox('AssertionError Should set either field or column display formula'); }
  if (fieldRef) {
    throw sandbox(`ValueError SetDisplayFormula for view field ${JSON.stringify(fieldRef)}: this document has no view fields; give the column (colRef) instead`);
  }
  if (!colRef) { return; }
  if (typeof formula !== 'string') { throw sandbox('TypeError SetDisplayFormula formula must be a string'); }
  const table = store.userTable(tableId);
  const col = targetColumn(table, colRef);
  const old = col.displayCol ? table.columns.find((c) => c.colRef === col.displayCol) : undefined;
  let displayCol = 0;
  if (formula !== '') {
    if (old && displayColUsers(store, old.colRef) === 1) {
      // The only user of its helper: the helper takes the new formula (Grist keeps its colRef).
      store.db.prepare('UPDATE "_grist_Tables_column" SET formula = ? WHERE id = ?').run(formula, old.colRef);
      store.reload();
      return;
    }
    const shared = table.columns.find((c) => c.colId.startsWith(DISPLAY_HELPER_PREFIX) && c.isFormula && c.formula === formula);
    if (shared) {
      displayCol = shared.colRef;
    } else {
      const [added] = addColumns(store, table.tableId, [
        { id: DISPLAY_HELPER_PREFIX, fields: { type: 'Any', isFormula: true, formula } },
      ]);
      displayCol = added?.colRef ?? 0;
    }
  }
  store.db.prepare('UPDATE "_grist_Tables_column" SET displayCol = ? WHERE id = ?').run(displayCol, col.colRef);
  store.reload();
  dropUnusedDisplayHelpers(store);
}
