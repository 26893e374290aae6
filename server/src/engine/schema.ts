/**
 * The file layout of an embedded document: Grist-like metadata tables kept next to the user tables in one
 * SQLite file, and the statements that create a brand-new document.
 *
 * User tables are SQLite tables named by tableId with `id INTEGER PRIMARY KEY` and one `BLOB` column per
 * colId (no type affinity, so SQLite converts nothing). Metadata tables hold plain SQLite values.
 */
import type Database from 'better-sqlite3';

/** Version of this layout, stored in `_gristsys_Meta` so a future engine can migrate old files. */
export const SCHEMA_VERSION = 1;

/** How a metadata column is stored and read back through the records API. */
export type MetaKind = 'text' | 'int' | 'bool' | 'num' | 'json';

/** Metadata tables readable through `getRecords`, with their columns in Grist's order. */
export const META_TABLES: Readonly<Record<string, readonly (readonly [string, MetaKind])[]>> = {
  _grist_Tables: [
    ['tableId', 'text'],
    ['primaryViewId', 'int'],
    ['summarySourceTable', 'int'],
    ['onDemand', 'bool'],
    ['rawViewSectionRef', 'int'],
    ['recordCardViewSectionRef', 'int'],
  ],
  _grist_Tables_column: [
    ['parentId', 'int'],
    ['parentPos', 'num'],
    ['colId', 'text'],
    ['type', 'text'],
    ['widgetOptions', 'text'],
    ['isFormula', 'bool'],
    ['formula', 'text'],
    ['label', 'text'],
    ['description', 'text'],
    ['untieColIdFromLabel', 'bool'],
    ['summarySourceCol', 'int'],
    ['displayCol', 'int'],
    ['visibleCol', 'int'],
    ['rules', 'json'],
    ['reverseCol', 'int'],
    ['recalcWhen', 'int'],
    ['recalcDeps', 'json'],
  ],
  _grist_Attachments: [
    ['fileIdent', 'text'],
    ['fileName', 'text'],
    ['fileType', 'text'],
    ['fileSize', 'int'],
    ['fileExt', 'text'],
    ['imageHeight', 'int'],
    ['imageWidth', 'int'],
    ['timeDeleted', 'int'],
    ['timeUploaded', 'int'],
  ],
};

/** SQLite declared type and default of each metadata kind (json: NULL by default, as Grist's `null`). */
function metaColumnSql(name: string, kind: MetaKind): string {
  switch (kind) {
    case 'text': return `"${name}" TEXT NOT NULL DEFAULT ''`;
    case 'json': return `"${name}" TEXT DEFAULT NULL`;
    case 'num': return `"${name}" NUMERIC NOT NULL DEFAULT 0`;
    default: return `"${name}" INTEGER NOT NULL DEFAULT 0`;
  }
}

/** DDL of the whole metadata layout. `timeDeleted` may be NULL, as Grist shows it. */
function metadataDdl(): string {
  const tables = Object.entries(META_TABLES).map(([table, cols]) => {
    const colSql = cols.map(([name, kind]) =>
      table === '_grist_Attachments' && name === 'timeDeleted' ? `"${name}" INTEGER DEFAULT NULL` : metaColumnSql(name, kind));
    return `CREATE TABLE "${table}" (id INTEGER PRIMARY KEY, ${colSql.join(', ')});`;
  });
  return [
    ...tables,
    'CREATE INDEX "_grist_Tables_column_parentId" ON "_grist_Tables_column" (parentId);',
    'CREATE TABLE "_gristsys_Files" (id INTEGER PRIMARY KEY, ident TEXT UNIQUE NOT NULL, data BLOB);',
    'CREATE TABLE "_gristsys_Meta" (key TEXT PRIMARY KEY, value);',
  ].join('\n');
}

/** Connection settings every embedded document uses: WAL so the SQL runner's reader sees commits. */
export function configureConnection(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = OFF');
}

/** Creates the metadata layout in an empty database (no user tables yet). */
export function createMetadata(db: Database.Database): void {
  db.exec(metadataDdl());
  const put = db.prepare('INSERT INTO "_gristsys_Meta" (key, value) VALUES (?, ?)');
  put.run('engine', 'grist-gateway-embedded');
  put.run('schemaVersion', SCHEMA_VERSION);
  put.run('actionNum', 0);
}

/**
 * Checks that an open database is an embedded document; returns a reason when it is not.
 * Throws whatever SQLite throws for a file that is not a database at all.
 */
export function checkDocumentFile(db: Database.Database): string | undefined {
  const names = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
  );
  for (const required of [...Object.keys(META_TABLES), '_gristsys_Files', '_gristsys_Meta']) {
    if (!names.has(required)) { return `metadata table ${required} is missing`; }
  }
  const version = db.prepare('SELECT value FROM "_gristsys_Meta" WHERE key = ?').get('schemaVersion') as
    { value: unknown } | undefined;
  if (!version || typeof version.value !== 'number') { return 'schema version is missing'; }
  if (version.value > SCHEMA_VERSION) { return `schema version ${version.value} is newer than this engine (${SCHEMA_VERSION})`; }
  return undefined;
}

/** Reads a number from `_gristsys_Meta` (0 when absent). */
export function getMetaNumber(db: Database.Database, key: string): number {
  const row = db.prepare('SELECT value FROM "_gristsys_Meta" WHERE key = ?').get(key) as { value: unknown } | undefined;
  return typeof row?.value === 'number' ? row.value : 0;
}

/** Writes a number to `_gristsys_Meta`. */
export function setMetaNumber(db: Database.Database, key: string, value: number): void {
  db.prepare('INSERT INTO "_gristsys_Meta" (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
    .run(key, value);
}

/** `"name"` quoted as an SQLite identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
