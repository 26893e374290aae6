/**
 * Opaque `get_records` cursors.
 *
 * Grist has no offset, and offsets would be wrong anyway while rows are added. A cursor is a keyset
 * position instead: "after row id N" in id order, or "after this row" in a sorted order (its id and its sort
 * values, so the position survives the row being deleted). It also remembers the table, filter and sort it
 * belongs to, so a cursor used with a different query is refused instead of silently skipping rows.
 */
import { hash } from 'node:crypto';
import type { CellValue } from '../backend/types.js';
import { GatewayError } from '../errors.js';

/** The decoded content of a cursor. */
export interface CursorState {
  /** Format version. */
  v: 1;
  /** Hash of table + filter + sort: the query this cursor continues. */
  q: string;
  /** Id of the last row returned. */
  id: number;
  /** For sorted paging: the last row's values of the sort columns. */
  k?: CellValue[];
  /** For sorted paging: the last row's manualSort (Grist's tie-break), when the backend reported it. */
  m?: number | null;
}

/** Query keys already computed, by query text (at most this many, of at most this many characters). */
const queryKeys = new Map<string, string>();
const MAX_REMEMBERED_QUERIES = 1000;
const MAX_REMEMBERED_QUERY = 256;

/** A short digest of the query a cursor belongs to. */
export function queryKey(table: string, filter: unknown, sort: unknown): string {
  const text = JSON.stringify([table, filter ?? null, sort ?? null]);
  // Every paged read needs it, mostly for the same few queries: short ones are remembered (bounded).
  const known = text.length <= MAX_REMEMBERED_QUERY ? queryKeys.get(text) : undefined;
  if (known !== undefined) return known;
  const key = hash('sha256', text, 'base64url').slice(0, 16);
  if (text.length <= MAX_REMEMBERED_QUERY) {
    if (queryKeys.size >= MAX_REMEMBERED_QUERIES) queryKeys.clear();
    queryKeys.set(text, key);
  }
  return key;
}

/** Encodes a cursor as an opaque URL-safe string. */
export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

/** Decodes a cursor, checking it belongs to the same query; throws INVALID_REQUEST naming the problem. */
export function decodeCursor(cursor: string, expectedQuery: string): CursorState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new GatewayError('INVALID_REQUEST', 'Invalid cursor: pass next_cursor from a previous get_records result unchanged');
  }
  if (
    !parsed ||
    typeof parsed !== 'object' ||
    (parsed as { v?: unknown }).v !== 1 ||
    typeof (parsed as { q?: unknown }).q !== 'string' ||
    !Number.isInteger((parsed as { id?: unknown }).id)
  ) {
    throw new GatewayError('INVALID_REQUEST', 'Invalid cursor: pass next_cursor from a previous get_records result unchanged');
  }
  const state = parsed as CursorState;
  if (state.q !== expectedQuery) {
    throw new GatewayError(
      'INVALID_REQUEST',
      'Invalid cursor: it belongs to a different query (table, filter and sort must stay the same while paging)',
    );
  }
  if ((state.k !== undefined && !Array.isArray(state.k)) || (state.m !== undefined && state.m !== null && typeof state.m !== 'number')) {
    throw new GatewayError('INVALID_REQUEST', 'Invalid cursor: pass next_cursor from a previous get_records result unchanged');
  }
  return state;
}
