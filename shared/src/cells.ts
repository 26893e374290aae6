/**
 * Zod schemas for the values every data method shares: cell values, field maps, and the common
 * `document` / `table` request fields. All are JSON-Schema-clean (no transforms), so they work for tRPC,
 * MCP tool schemas and OpenAPI alike.
 */
import { z } from 'zod';

/** Message for a value that is not a valid cell value; zod's default for a failed union says only "Invalid input". */
const CELL_VALUE_MESSAGE =
  'expected a cell value: a string, number, boolean, null, or a Grist-encoded list like ["L", "a", "b"]';

/**
 * A cell value as Grist's REST API encodes it: a JSON string, number, boolean or null, or a list whose
 * first element is a one-letter type code (`["L", "a", "b"]` for a ChoiceList or RefList,
 * `["d", 1705276800]` for a date, ...). Grist rejects plain lists (`[1, 2]`) and objects, so we do too,
 * with the field path in the message. Its static type is exactly the backend's `CellValue`.
 */
export const cellValue = z
  .union([z.string(), z.number(), z.boolean(), z.null(), z.tuple([z.string()], z.unknown())], {
    error: CELL_VALUE_MESSAGE,
  })
  .describe(
    'A cell value: string, number, boolean, null, or a Grist-encoded list whose first element is a type code, ' +
      'e.g. ["L", "a", "b"] for a ChoiceList, ["L", 1, 2] for a RefList or Attachments. Dates are epoch seconds.',
  );

/** A cell value (static type). Same as the server's `CellValue`. */
export type CellValueType = z.infer<typeof cellValue>;

/** A map of column id -> cell value (the fields of one record). */
export const fieldValues = z.record(z.string(), cellValue);

/** A single scalar cell value, for filters (a list there means "any of these values"). */
export const scalarCellValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * The optional `document` field of every data method. With a session token (the proxy) the document is
 * fixed by the token and this field may be left out; with an agent token (MCP, typed client) it names the
 * document to use.
 */
export const documentField = z
  .string()
  .min(1)
  .optional()
  .describe('Document name (see list_documents). Required with an agent token; a session token fixes it.');

/** The `table` field: an existing table id, matched exactly (case-sensitive). */
export const tableField = z
  .string()
  .min(1)
  .describe('Table id.');

/** The `column_id` field: an existing column id, matched exactly. */
export const columnIdField = z
  .string()
  .min(1)
  .describe('Column id.');

/** A row id: a positive integer. */
export const rowId = z.int().positive().describe('Row id.');
