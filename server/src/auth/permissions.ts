/**
 * Agent permissions on a document. Defined here because `@grist-gateway/shared` does not export it yet;
 * once it does, this module should re-export that type instead of declaring its own.
 */

/** One independent permission flag an agent (or a session) can hold on a document. */
export type Permission = 'read' | 'write' | 'schema';

/** Every permission, in the canonical order used in listings and messages. */
export const PERMISSIONS: readonly Permission[] = Object.freeze(['read', 'write', 'schema'] as const);

/** True when `value` is one of {@link PERMISSIONS}. */
export function isPermission(value: unknown): value is Permission {
  return value === 'read' || value === 'write' || value === 'schema';
}

/** The members of `set` in canonical order (read, write, schema), so listings are stable. */
export function sortPermissions(set: Iterable<Permission>): Permission[] {
  const present = new Set(set);
  return PERMISSIONS.filter((p) => present.has(p));
}
