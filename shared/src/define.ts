/**
 * The shape of one registry entry and the {@link defineMethod} helper that keeps its static types exact.
 */
import type { z } from 'zod';
import type { MethodPermission, Permission } from './permissions.js';

/**
 * MCP tool annotations. They are hints for clients (never enforced); every method sets all four
 * explicitly because the MCP defaults assume the worst (not read-only, destructive, open world).
 */
export interface MethodAnnotations {
  /** The method changes nothing. */
  readOnlyHint: boolean;
  /** The method may overwrite or remove existing data (only meaningful when not read-only). */
  destructiveHint: boolean;
  /** Calling it again with the same arguments has no further effect. */
  idempotentHint: boolean;
  /** It reaches outside the closed domain of the Grist document (always false here). */
  openWorldHint: boolean;
}

/**
 * The request fields of an input type. zod types an empty `z.object({})` as `Record<string, never>`,
 * which no object with a `method` key satisfies, so such inputs contribute no fields.
 */
export type RequestFields<T> = string extends keyof T ? object : T;

/**
 * One operation of the gateway, declared once. The tRPC router, the MCP tools, the JSON proxy, the proxy
 * documentation and the OpenAPI document are all derived from these entries.
 *
 * `input` and `output` are `z.object` roots without transforms, so they convert to JSON Schema for MCP and
 * OpenAPI unchanged.
 */
export interface MethodDefinition<
  Name extends string = string,
  Perm extends MethodPermission = MethodPermission,
  Input extends z.ZodObject = z.ZodObject,
  Output extends z.ZodObject = z.ZodObject,
> {
  /** Wire name: the proxy's `method`, the MCP tool name. snake_case. */
  name: Name;
  /** What the caller's token must grant; `agent` = needs the agent token itself. */
  permission: Perm;
  /**
   * Further document permissions the method needs besides `permission` (see `requiredPermissions`): the
   * router checks them all, and the MCP listing, proxy docs and OpenAPI show them.
   */
  alsoRequires?: readonly Permission[];
  /** Short human title (MCP `title`), e.g. "Get records". */
  title: string;
  /** One line: what it does. */
  summary: string;
  /** For humans and LLMs: what it does, when to use it, limits, a short example. */
  description: string;
  /** Request fields (without `method`). */
  input: Input;
  /** Result (the proxy's `data`, the MCP `structuredContent`). */
  output: Output;
  /** MCP tool annotations, all four set. */
  annotations: MethodAnnotations;
  /** A sample request body: `method` plus the input fields, as a script posts it to the proxy. */
  example: { method: Name } & RequestFields<z.input<Input>>;
  /** The result of {@link example} (a plausible one). */
  exampleResult: z.input<Output>;
}

/**
 * Declares a method. It returns its argument unchanged (frozen) but infers the literal name, the
 * permission and the exact schema types, and checks `example` / `exampleResult` against the schemas at
 * compile time.
 *
 * @example
 * export const listTables = defineMethod({
 *   name: 'list_tables', permission: 'read', title: 'List tables', summary: '...', description: '...',
 *   input: z.object({}), output: z.object({ tables: z.array(z.string()).describe('Table ids.') }),
 *   annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
 *   example: { method: 'list_tables' }, exampleResult: { tables: ['Orders'] },
 * });
 */
export function defineMethod<
  const Name extends string,
  const Perm extends MethodPermission,
  Input extends z.ZodObject,
  Output extends z.ZodObject,
>(definition: MethodDefinition<Name, Perm, Input, Output>): Readonly<MethodDefinition<Name, Perm, Input, Output>> {
  return Object.freeze(definition);
}
