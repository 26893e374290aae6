/** Public API of the embedded Grist engine: a Grist document kept in one SQLite file. */
export { EmbeddedDocument } from './document.js';
export type {
  ApplyResult,
  EmbeddedDocumentApi,
  EngineOptions,
  PutColumnsOptions,
  AddRecordsOptions,
  TableInfoWithColumns,
} from './api.js';
