/**
 * In-memory cache of a document's table and column metadata, loaded from `_grist_Tables` and
 * `_grist_Tables_column` once and reloaded after every schema change (never read per call).
 */
import type Database from 'better-sqlite3';
import type { CellValue, ColumnFields, ColumnInfo, TableFields } from '../backend/types.js';
import { CellError, decodeCell, type StoredValue } from './cells.js';
import { defaultCellValue, parseColType, type ColType } from './coltypes.js';
import { META_TABLES, type MetaKind } from './schema.js';

/** Message of the placeholder error cell a formula cell holds until the formula engine stores its value. */
export const FORMULA_NOT_EVALUATED = 'formula not evaluated yet';

/** One column of a table, user or metadata: its `GET /columns` fields plus what reads and writes need. */
export interface ColumnMeta extends ColumnFields {
  colId: string;
  colType: ColType;
  /** Left out of reads unless `hidden` is asked (`manualSort`, `gristHelper_*`). */
  hidden: boolean;
  /** A formula column with a non-empty formula: values cannot be written; cells hold computed values. */
  computed: boolean;
  /** An empty formula column: becomes a data column on its first write. */
  emptyFormula: boolean;
  /** Stored value -> API value, according to the column's kind (data, formula, metadata). */
  decode: (stored: StoredValue) => CellValue | CellError;
}

/** One table, user or metadata. */
export interface TableMeta {
  tableRef: number;
  tableId: string;
  fields: TableFields;
  /** Metadata table (`_grist_*`): readable as records only. */
  meta: boolean;
  /** Columns in position order (without `id`). */
  columns: ColumnMeta[];
  byId: Map<string, ColumnMeta>;
}

/** A row of `_grist_Tables_column` as SQLite returns it. */
interface ColumnRow {
  id: number; parentId: number; parentPos: number; colId: string; type: string; widgetOptions: string;
  isFormula: number; formula: string; label: string; description: string; untieColIdFromLabel: number;
  summarySourceCol: number; displayCol: number; visibleCol: number; rules: string | null; reverseCol: number;
  recalcWhen: number; recalcDeps: string | null;
}

/** A row of `_grist_Tables`. */
interface TableRow {
  id: number; tableId: string; primaryViewId: number; summarySourceTable: number; onDemand: number;
  rawViewSectionRef: number; recordCardViewSectionRef: number;
}

function parseJsonOrNull(text: string | null): unknown {
  if (text === null || text === '') { return null; }
  try { return JSON.parse(text) as unknown; } catch { return text; }
}

/** Parses a stored type; a type this engine does not know is read as `Any` rather than failing the read. */
export function colTypeOf(raw: string): ColType {
  return parseColType(raw) ?? { raw, base: 'Any' };
}

/** Builds the decoder of a user column: formula values are stored (formulas/engine.ts), empty formulas constant. */
export function makeDecoder(colType: ColType, isFormula: boolean, formula: string): ColumnMeta['decode'] {
  if (isFormula && formula === '') {
    const value = defaultCellValue(colType);
    return () => value;
  }
  return (stored) => decodeCell(colType, stored);
}

/** The colId prefix of display helper columns (display.ts); Grist numbers further ones `gristHelper_Display2`, ... */
export const DISPLAY_HELPER_PREFIX = 'gristHelper_Display';

/** Whether a column is hidden from reads by default. */
export function isHiddenColId(colId: string): boolean {
  return colId === 'manualSort' || colId.startsWith('gristHelper_');
}

function columnFromRow(r: ColumnRow): ColumnMeta {
  const colType = colTypeOf(r.type);
  const isFormula = r.isFormula !== 0;
  return {
    colRef: r.id, colId: r.colId, type: r.type, colType, parentId: r.parentId, parentPos: r.parentPos,
    widgetOptions: r.widgetOptions, isFormula, formula: r.formula, label: r.label, description: r.description,
    untieColIdFromLabel: r.untieColIdFromLabel !== 0, summarySourceCol: r.summarySourceCol,
    displayCol: r.displayCol, visibleCol: r.visibleCol, rules: parseJsonOrNull(r.rules), reverseCol: r.reverseCol,
    recalcWhen: r.recalcWhen, recalcDeps: parseJsonOrNull(r.recalcDeps),
    hidden: isHiddenColId(r.colId), computed: isFormula && r.formula !== '', emptyFormula: isFormula && r.formula === '',
    decode: makeDecoder(colType, isFormula, r.formula),
  };
}

const META_TYPES: Record<MetaKind, string> = { text: 'Text', int: 'Int', bool: 'Bool', num: 'Numeric', json: 'Any' };

function metaDecoder(kind: MetaKind): ColumnMeta['decode'] {
  switch (kind) {
    case 'bool': return (v) => v !== null && v !== 0 && v !== 0n;
    case 'json': return (v) => (typeof v === 'string' ? (parseJsonOrNull(v) as CellValue) : null);
    case 'text': return (v) => (v === null ? '' : String(v));
    default: return (v) => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : null);
  }
}

/** The pseudo-metadata of a `_grist_*` table, so the ordinary read path can serve it. */
function metaTable(tableId: string, cols: readonly (readonly [string, MetaKind])[]): TableMeta {
  const columns = cols.map(([colId, kind], i): ColumnMeta => ({
    colRef: 0, colId, type: META_TYPES[kind], colType: { raw: META_TYPES[kind], base: META_TYPES[kind] as ColType['base'] },
    parentId: 0, parentPos: i + 1, widgetOptions: '', isFormula: false, formula: '', label: colId, description: '',
    untieColIdFromLabel: false, summarySourceCol: 0, displayCol: 0, visibleCol: 0, rules: null, reverseCol: 0,
    recalcWhen: 0, recalcDeps: null, hidden: false, computed: false, emptyFormula: false, decode: metaDecoder(kind),
  }));
  return {
    tableRef: 0, tableId, meta: true, columns, byId: new Map(columns.map((c) => [c.colId, c])),
    fields: { tableRef: 0, primaryViewId: 0, summarySourceTable: 0, onDemand: false, rawViewSectionRef: 0, recordCardViewSectionRef: 0 },
  };
}

/** All tables of the document keyed by tableId, user tables in tableRef order, then metadata tables. */
export function loadMeta(db: Database.Database): Map<string, TableMeta> {
  const tables = db.prepare('SELECT * FROM "_grist_Tables" ORDER BY id').all() as TableRow[];
  const cols = db.prepare('SELECT * FROM "_grist_Tables_column" ORDER BY parentId, parentPos, id').all() as ColumnRow[];
  const byParent = new Map<number, ColumnMeta[]>();
  for (const r of cols) {
    const list = byParent.get(r.parentId) ?? [];
    list.push(columnFromRow(r));
    byParent.set(r.parentId, list);
  }
  const out = new Map<string, TableMeta>();
  for (const t of tables) {
    const columns = byParent.get(t.id) ?? [];
    out.set(t.tableId, {
      tableRef: t.id, tableId: t.tableId, meta: false, columns, byId: new Map(columns.map((c) => [c.colId, c])),
      fields: {
        tableRef: t.id, primaryViewId: t.primaryViewId, summarySourceTable: t.summarySourceTable,
        onDemand: t.onDemand !== 0, rawViewSectionRef: t.rawViewSectionRef, recordCardViewSectionRef: t.recordCardViewSectionRef,
      },
    });
  }
  for (const [tableId, metaCols] of Object.entries(META_TABLES)) { out.set(tableId, metaTable(tableId, metaCols)); }
  return out;
}

/** The 17 `fields` of `GET /columns`, in Grist's order. */
export function columnFields(c: ColumnMeta): ColumnFields {
  return {
    colRef: c.colRef, label: c.label, isFormula: c.isFormula, type: c.type, parentId: c.parentId,
    parentPos: c.parentPos, widgetOptions: c.widgetOptions, formula: c.formula, description: c.description,
    untieColIdFromLabel: c.untieColIdFromLabel, summarySourceCol: c.summarySourceCol, displayCol: c.displayCol,
    visibleCol: c.visibleCol, rules: c.rules, reverseCol: c.reverseCol, recalcWhen: c.recalcWhen, recalcDeps: c.recalcDeps,
  };
}

/** A column as `GET /columns` lists it. */
export function columnInfo(c: ColumnMeta): ColumnInfo {
  return { id: c.colId, fields: columnFields(c) };
}
