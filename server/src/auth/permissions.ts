/**
 * Agent permissions on a document. The type comes from the method registry (`@grist-gateway/shared`), so
 * config, sessions and the router agree on one definition.
 */
import type { Permission } from '@grist-gateway/shared';

export type { Permission };

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
