/**
 * API-key authentication exactly as Grist answers it (grist-api.md section 1.2):
 * - no `Authorization` header: anonymous (the caller then answers 404 for an unknown doc, else 403
 *   `No view access`);
 * - a scheme other than `Bearer` (case-sensitive): 401 `Bad request: unsupported Authorization scheme,
 *   expected 'Bearer'`;
 * - a wrong or empty key: 401 `Bad request: invalid API key`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GristError } from '../backend/errors.js';

/** Outcome of checking the `Authorization` header. */
export type AuthResult = 'ok' | 'anonymous';

/** Compares two secrets in constant time (hashing first so different lengths leak nothing either). */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/**
 * Checks an `Authorization` header value against the API key. Returns `'anonymous'` when there is no
 * header; throws the 401 {@link GristError}s of Grist otherwise. Note that HTTP clients trim header
 * values, so `Bearer ` arrives as `Bearer` and is an empty key, not another scheme.
 */
export function checkAuthorization(header: string | undefined, apiKey: string): AuthResult {
  if (header === undefined) return 'anonymous';
  const value = header.trim();
  const space = value.indexOf(' ');
  const scheme = space < 0 ? value : value.slice(0, space);
  if (scheme !== 'Bearer') {
    throw new GristError(401, "Bad request: unsupported Authorization scheme, expected 'Bearer'");
  }
  const key = space < 0 ? '' : value.slice(space + 1).trim();
  // An empty configured key must never let an empty bearer in.
  if (key === '' || apiKey === '' || !secretsEqual(key, apiKey)) {
    throw new GristError(401, 'Bad request: invalid API key');
  }
  return 'ok';
}
