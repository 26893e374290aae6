/**
 * Permissions: what a token may do with a document, and what each method requires.
 */

/** The document permissions a session token (or an agent's document grant) can hold, in rising power. */
export const permissions = ['read', 'write', 'schema'] as const;

/** A document permission: `read` data, `write` records, change the `schema` (tables and columns). */
export type Permission = (typeof permissions)[number];

/**
 * What calling a method requires: one document {@link Permission}, or `agent` for agent-level operations
 * that need the agent's own token (a session token is never enough for them).
 */
export type MethodPermission = Permission | 'agent';

/** `true` when `value` is one of the three document permissions. */
export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (permissions as readonly string[]).includes(value);
}
