/**
 * The method registry: every operation of the gateway, keyed by wire name. The tRPC router, the MCP tools,
 * the JSON proxy's dispatch, the proxy documentation and the OpenAPI document are all derived from it.
 */
import type { z } from 'zod';
import type { MethodDefinition } from './define.js';
import { getProxyDocumentation, listDocuments, requestSessionToken, revokeSessionToken } from './methods/agent.js';
import { addColumn, deleteColumn, modifyColumn } from './methods/columns.js';
import { addOrUpdateRecords, addRecords, deleteRecords, getRecords, updateRecords } from './methods/records.js';
import { sqlQuery } from './methods/sql.js';
import { createTable, deleteTable, describeTable, listTables, renameTable } from './methods/tables.js';

/**
 * Every method, keyed by its wire name. Data methods come first, in the order the documentation lists
 * them (reading, writing records, schema), then the agent-level methods.
 */
export const methods = {
  list_tables: listTables,
  describe_table: describeTable,
  get_records: getRecords,
  sql_query: sqlQuery,
  add_records: addRecords,
  update_records: updateRecords,
  delete_records: deleteRecords,
  add_or_update_records: addOrUpdateRecords,
  create_table: createTable,
  rename_table: renameTable,
  delete_table: deleteTable,
  add_column: addColumn,
  modify_column: modifyColumn,
  delete_column: deleteColumn,
  list_documents: listDocuments,
  request_session_token: requestSessionToken,
  revoke_session_token: revokeSessionToken,
  get_proxy_documentation: getProxyDocumentation,
} as const;

/** The registry's type. */
export type Methods = typeof methods;

/** Wire name of any method. */
export type MethodName = keyof Methods;

/** Wire name of a method that works on a document's data (permission read, write or schema). */
export type DataMethodName = {
  [N in MethodName]: Methods[N]['permission'] extends 'agent' ? never : N;
}[MethodName];

/** Wire name of an agent-level method (needs the agent's own token). */
export type AgentMethodName = Exclude<MethodName, DataMethodName>;

/** The input a caller sends to method `N` (optional and defaulted fields may be left out). */
export type MethodInput<N extends MethodName> = z.input<Methods[N]['input']>;

/** The input of method `N` after validation (defaults applied), as a handler receives it. */
export type MethodParsedInput<N extends MethodName> = z.output<Methods[N]['input']>;

/** The result of method `N` (the proxy's `data`, the MCP `structuredContent`). */
export type MethodOutput<N extends MethodName> = z.output<Methods[N]['output']>;

/** Every wire name, in registry order. */
export const methodNames = Object.keys(methods) as MethodName[];

/** Data method names (what the JSON proxy accepts), in registry order. */
export const dataMethodNames = methodNames.filter(
  (name): name is DataMethodName => methods[name].permission !== 'agent',
);

/** Agent-level method names, in registry order. */
export const agentMethodNames = methodNames.filter(
  (name): name is AgentMethodName => methods[name].permission === 'agent',
);

/** `true` when `name` is a method's wire name (for validating untyped input such as the proxy's `method`). */
export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name);
}

/** `true` when `name` is a data method's wire name. */
export function isDataMethodName(name: unknown): name is DataMethodName {
  return isMethodName(name) && methods[name].permission !== 'agent';
}

/** The definition of a method as the general {@link MethodDefinition} type, for code that loops over all. */
export function methodDefinition(name: MethodName): MethodDefinition {
  return methods[name] as unknown as MethodDefinition;
}
