/** Errors raised by the auth layer when a request for a session cannot be granted. */

/**
 * Why {@link AuthError} was thrown: asking beyond the agent's scope, a malformed request, too many live
 * tokens, or a session store that cannot be used.
 */
export type AuthErrorCode = 'UNAUTHORIZED' | 'INVALID_REQUEST' | 'RATE_LIMITED' | 'UNAVAILABLE';

/**
 * A refused auth request. `code` is `UNAUTHORIZED` when the agent asked for more than it has (a
 * document outside its scope, a permission it lacks), `INVALID_REQUEST` for bad input (empty or
 * unknown permissions, TTL out of range), `RATE_LIMITED` when the agent holds too many live session
 * tokens, and `UNAVAILABLE` when the session store cannot be used. The message names what was wrong
 * and never holds a token.
 */
export class AuthError extends Error {
  /** Machine-readable reason. */
  readonly code: AuthErrorCode;
  /** @param code reason; @param message human-readable explanation naming the document/permission. */
  constructor(code: AuthErrorCode, message: string) {
    super(message);
    this.name = 'AuthError';
    this.code = code;
  }
}
