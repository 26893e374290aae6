/**
 * Schema types codegen: a document description -> a TypeScript module exporting `type Schema`.
 * Imported as `@grist-gateway/shared/codegen` (no zod, no registry: the client bundles it as is).
 */
export {
  CELL_VALUE_TYPE,
  choicesOf,
  columnValueType,
  isReadOnlyColumn,
  type ColumnTypeOptions,
  type SchemaColumn,
} from './column-types.js';
export {
  DEFAULT_SCHEMA_NAME,
  generateSchemaModule,
  invalidSchemaName,
  type SchemaDescription,
  type SchemaModuleOptions,
  type SchemaTable,
} from './schema-module.js';
