/** Gateway configuration: loading, validating and creating the YAML config file. */
export { loadConfig, resolveConfigPath, DEFAULT_CONFIG_FILE } from './load.js';
export { parseConfig } from './parse.js';
export type { ParseConfigOptions } from './parse.js';
export { ConfigError } from './errors.js';
export { writeDemoConfig, DEMO_DOCUMENT_FILE } from './demo.js';
export type {
  GatewayConfig,
  DocumentConfig,
  GristDocumentConfig,
  EmbeddedDocumentConfig,
  AgentConfig,
  GristApiConfig,
} from './types.js';
