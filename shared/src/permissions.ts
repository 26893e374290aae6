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

/** What a method declares it needs: its main permission and, for a few, others it also needs. */
export interface PermissionRequirement {
  permission: MethodPermission;
  /** Further document permissions the method needs (e.g. an upsert reveals which rows match: `read`). */
  alsoRequires?: readonly Permission[];
}

/** Every permission a method needs, the main one first (`['write', 'read']` for add_or_update_records). */
export function requiredPermissions(def: PermissionRequirement): MethodPermission[] {
  return [def.permission, ...(def.alsoRequires ?? []).filter((p) => p !== def.permission)];
}

/** The requirement as people read it: `read`, or `read + write` (in the order read, write, schema). */
export function permissionLabel(def: PermissionRequirement): string {
  const needed = requiredPermissions(def);
  const rank = (p: MethodPermission): number => (p === 'agent' ? -1 : permissions.indexOf(p));
  return [...needed].sort((a, b) => rank(a) - rank(b)).join(' + ');
}
