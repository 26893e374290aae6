/**
 * `cellFormat=typed` (grist-api.md section 4.7): every value re-encoded by its column type, error cells
 * inline as `["E", name]` instead of the `errors` map. Values that do not fit their type (alt text) are
 * left unchanged.
 */
import type { CellValue, ColumnInfo, GristRecord } from '../backend/types.js';

/** Re-encodes one value of a column of type `type`. */
export function typedValue(type: string, value: CellValue): CellValue {
  const colon = type.indexOf(':');
  const base = colon < 0 ? type : type.slice(0, colon);
  const arg = colon < 0 ? '' : type.slice(colon + 1);
  switch (base) {
    case 'Date':
      return typeof value === 'number' ? ['d', value] : value;
    case 'DateTime':
      return typeof value === 'number' ? ['D', value, arg || 'UTC'] : value;
    case 'Ref':
      return typeof value === 'number' ? ['R', arg, value] : value;
    case 'RefList':
    case 'Attachments': {
      const target = base === 'Attachments' ? '_grist_Attachments' : arg;
      if (value === null) return ['r', target, []];
      if (Array.isArray(value) && value[0] === 'L') return ['r', target, value.slice(1)];
      return value;
    }
    case 'ChoiceList':
      return value === null ? ['L'] : value;
    default:
      return value;
  }
}

/** The typed form of records read in the normal format, given the table's columns (hidden included). */
export function typedRecords(records: GristRecord[], columns: ColumnInfo[]): { id: number; fields: Record<string, CellValue> }[] {
  const types = new Map(columns.map((col) => [col.id, col.fields.type]));
  return records.map((rec) => {
    const fields: Record<string, CellValue> = {};
    for (const [colId, value] of Object.entries(rec.fields)) {
      const error = rec.errors?.[colId];
      if (error !== undefined) fields[colId] = ['E', error];
      else {
        const type = types.get(colId);
        fields[colId] = type === undefined ? value : typedValue(type, value);
      }
    }
    return { id: rec.id, fields };
  });
}
