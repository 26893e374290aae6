/**
 * `@grist-gateway/shared`: the method registry (one declaration per operation), error codes, and the
 * OpenAPI and proxy documentation generated from the registry. Used by the server and the typed client.
 */
export { cellValue, columnIdField, documentField, fieldValues, rowId, scalarCellValue, tableField } from './cells.js';
export type { CellValueType } from './cells.js';
export { defineMethod } from './define.js';
export type { MethodAnnotations, MethodDefinition } from './define.js';
export { isPermission, permissionLabel, permissions, requiredPermissions } from './permissions.js';
export type { MethodPermission, Permission, PermissionRequirement } from './permissions.js';
export {
  agentMethodNames,
  dataMethodNames,
  isDataMethodName,
  isMethodName,
  methodDefinition,
  methodNames,
  methods,
} from './registry.js';
export type {
  AgentMethodName,
  DataMethodName,
  MethodInput,
  MethodName,
  MethodOutput,
  MethodParsedInput,
  Methods,
} from './registry.js';
export { SESSION_TTL } from './methods/agent.js';
export { columnDescription, newColumn } from './methods/columns.js';
export { flatRecord } from './methods/records.js';
export { classifyGristFailure, errorCodeNames, errorCodes, errorStatus, formatPath, formatZodIssues, isErrorCode } from './errors.js';
export type { ErrorCode, GristFailureClass, GristFailureOrigin } from './errors.js';
export { proxyDocumentation } from './proxy-docs-schema.js';
export type { ProxyDocumentation } from './proxy-docs-schema.js';
export { buildProxyDocumentation, renderProxyDocumentation } from './proxy-docs.js';
export type { ProxyDocumentationOptions } from './proxy-docs.js';
export { buildOpenApi } from './openapi.js';
export type { OpenApiOptions } from './openapi.js';
export { fastInputChecks, fastOutputChecks, passesFastInput, withFastInput, withFastOutput } from './fast-input.js';
