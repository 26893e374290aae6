/** The one failure a session store reports: it cannot be used right now. */
import { AuthError } from '../errors.js';

/**
 * The session store cannot be reached, read or written (Redis down, SQLite file locked beyond the busy
 * timeout, disk full). Reported as `503 UNAVAILABLE`, never as a bad token: the token may be fine. The
 * message starts with "session store unavailable:" and names the store, never a token or a password.
 */
export class SessionStoreUnavailableError extends AuthError {
  constructor(reason: string, cause?: unknown) {
    super('UNAVAILABLE', `session store unavailable: ${reason}`);
    this.name = 'SessionStoreUnavailableError';
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

/** The text of an unknown failure, for a message (first line only, bounded). */
export function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 200);
}
