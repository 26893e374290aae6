/**
 * Attachments under table/column scopes: a scoped token reaches an attachment only through a cell it may
 * read (an `Attachments` column it can see), may upload only when it can write such a column, and may not
 * copy into a visible cell an attachment that a hidden cell holds (which would make it downloadable).
 */
import type { DocBackend } from '../backend/types.js';
import { GatewayError } from '../errors.js';
import type { ScopeView } from './scopes.js';

/** Refuses an upload by a scoped token that can write no `Attachments` column (it could never use the file). */
export function requireAttachmentColumn(view: ScopeView): void {
  for (const table of view.tables()) {
    if (view.columnInfos(table).some((c) => c.fields.type === 'Attachments' && !c.fields.isFormula)) return;
  }
  throw new GatewayError('UNAUTHORIZED', 'upload_attachment: this token may write no Attachments column, so it cannot use an upload');
}

/**
 * Whether a scoped token may download attachment `id`: only when the id is held by a cell it may read (an
 * `Attachments` column it can see, in a table it can see).
 */
export async function attachmentReachable(view: ScopeView, backend: DocBackend, id: number): Promise<boolean> {
  for (const table of view.tables()) {
    const columns = view.columnInfos(table).filter((c) => c.fields.type === 'Attachments');
    for (const column of columns) if (await cellsHold(backend, table, column.id, id)) return true;
  }
  return false;
}

/** Attachment ids in the cells written to `Attachments` columns of `table` (`["L", 1, 2]` or `[1, 2]`). */
function writtenAttachmentIds(view: ScopeView, table: string, records: unknown, flat: boolean): number[] {
  if (!Array.isArray(records)) return [];
  const attachmentColumns = new Set(view.columnInfos(table).filter((c) => c.fields.type === 'Attachments').map((c) => c.id));
  if (attachmentColumns.size === 0) return [];
  const ids = new Set<number>();
  for (const record of records) {
    if (!record || typeof record !== 'object') continue;
    const cells = [flat ? record : (record as Record<string, unknown>).fields, flat ? undefined : (record as Record<string, unknown>).require];
    for (const fields of cells) {
      if (!fields || typeof fields !== 'object') continue;
      for (const [column, value] of Object.entries(fields)) {
        if (!attachmentColumns.has(column) || !Array.isArray(value)) continue;
        for (const item of value) if (typeof item === 'number') ids.add(item);
      }
    }
  }
  return [...ids];
}

/**
 * Refuses writing into an `Attachments` cell an attachment that a cell the token cannot read holds:
 * otherwise a scoped token could copy a hidden attachment into a visible cell and download it.
 */
export async function requireAttachmentsNotHidden(view: ScopeView, backend: DocBackend, table: string, records: unknown, flat: boolean): Promise<void> {
  const ids = writtenAttachmentIds(view, table, records, flat);
  if (ids.length === 0) return;
  for (const other of (await backend.listTables()).map((t) => t.id)) {
    const hidden = (await backend.listColumns(other)).filter((c) => c.fields.type === 'Attachments' && !view.hasColumn(other, c.id));
    for (const column of hidden) {
      for (const id of ids) {
        if (await cellsHold(backend, other, column.id, id)) {
          throw new GatewayError('UNAUTHORIZED', `records: attachment ${id} is held by a cell outside this token's scope; upload the file again instead`);
        }
      }
    }
  }
}

/** True when some cell of `table.column` (an Attachments column) holds attachment `id`. */
async function cellsHold(backend: DocBackend, table: string, column: string, id: number): Promise<boolean> {
  const cell = `${quoteId(table)}.${quoteId(column)}`;
  // Cells hold Grist's list encoding as JSON text (`["L", 1, 2]` or `[1, 2]`); anything else holds no attachment.
  const q = `SELECT 1 AS hit FROM ${quoteId(table)} WHERE EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(${cell}) THEN ${cell} ELSE '[]' END) WHERE value = ?) LIMIT 1`;
  const result = await backend.sql(q, { args: [id] });
  return result.records.length > 0;
}

/** A SQLite identifier in double quotes. */
function quoteId(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
