/**
 * What a document route handler gets: the open document, the request and its parsed query, and helpers
 * to read path parameters and bodies under Grist's rules.
 */
import { GristError } from '../backend/errors.js';
import type { EmbeddedDocumentApi } from '../engine/api.js';
import { readJsonBody } from './body.js';
import type { QuerySource } from './query.js';

/** One request to a `/api/docs/{docId}/...` route. */
export interface DocRequest {
  docId: string;
  doc: EmbeddedDocumentApi;
  req: Request;
  query: QuerySource;
  /** A decoded path parameter (`tableId`, `colId`, `attId`). */
  param(name: string): string;
}

/** A route handler: returns a `Response`, or a value sent as JSON (`undefined` is sent as `null`). */
export type DocHandler = (r: DocRequest) => Promise<unknown>;

/** One route below `/api/docs/{docId}`. */
export interface DocRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Hono path pattern relative to the document, e.g. `/tables/:tableId/records`. */
  path: string;
  handler: DocHandler;
}

/** The parsed JSON body (Grist's rules: JSON content type only, strict, 1 MB). */
export function jsonBody(r: DocRequest): Promise<unknown> {
  return readJsonBody(r.req);
}

/**
 * The `{tableId}` path segment resolved to a table id (exact id, or numeric tableRef). A segment that
 * cannot be a table id at all (`my table`) is Grist's sandbox KeyError, 400 (08 unknown-table-encoded-space).
 */
export function tableParam(r: DocRequest): string {
  const raw = r.param('tableId');
  if (!/^[A-Za-z0-9_]+$/.test(raw)) {
    throw new GristError(400, `Error manipulating data: [Sandbox] KeyError '${raw}'`, undefined, { kind: 'table', table: raw });
  }
  return r.doc.resolveTableId(raw);
}
