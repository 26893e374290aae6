/**
 * The errors the embedded engine throws, with Grist's exact status and text (`shared/grist-api.md`
 * section 11), so the REST layer can send them unchanged.
 */
import { GristError } from '../backend/errors.js';

/** 404 `Table not found "T"`. */
export function tableNotFound(tableId: string): GristError {
  return new GristError(404, `Table not found "${tableId}"`, undefined, { kind: 'table', table: tableId });
}

/** 400 `Invalid column "C"`: a write names a column the table does not have. */
export function invalidColumn(tableId: string, colId: string): GristError {
  return new GristError(400, `Invalid column "${colId}"`, undefined, { kind: 'column', table: tableId, column: colId });
}

/** 400: a value was written into a formula column. */
export function formulaColumnWrite(tableId: string, colId: string): GristError {
  return new GristError(400, `Error manipulating data: [Sandbox] ValueError Can't save value to formula column ${colId}`,
    undefined, { kind: 'column', table: tableId, column: colId });
}

/** 400 `Invalid row id N`. */
export function invalidRowId(tableId: string, id: number): GristError {
  return new GristError(400, `Invalid row id ${id}`, undefined, { kind: 'row', table: tableId });
}

/** 400: PATCH entries with differing key sets. */
export function differentFields(tableId: string): GristError {
  return new GristError(400, 'PATCH requires all records to have same fields', undefined, { kind: 'payload', table: tableId });
}

/** 400 `Error manipulating data: [Sandbox] KeyError 'X'`: filter on an unknown column, impossible table id. */
export function sandboxKeyError(key: string, tableId?: string): GristError {
  return new GristError(400, `Error manipulating data: [Sandbox] KeyError '${key}'`, undefined,
    tableId === undefined ? { kind: 'table', table: key } : { kind: 'column', table: tableId, column: key });
}

/** Unknown column type: 500 `[Sandbox] ...` on POST /tables, 400 `Error manipulating data: ...` on columns. */
export function unknownType(name: string, status: 400 | 500, tableId: string, colId?: string): GristError {
  const text = `[Sandbox] AttributeError module 'grist' has no attribute '${name}'`;
  return new GristError(status, status === 500 ? text : `Error manipulating data: ${text}`, undefined,
    { kind: 'column', table: tableId, ...(colId === undefined ? {} : { column: colId }) });
}

/** 400: a value that is not a valid Grist cell (section 5.1). */
export function invalidCellValue(tableId: string, colId: string, reason: string): GristError {
  return new GristError(400, 'Invalid payload', { userError: `Error: ${tableId}.${colId} ${reason}` },
    { kind: 'payload', table: tableId, column: colId });
}
