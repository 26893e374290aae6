/** Rendering of positions in the config tree as `tokens[1].scope[0].permissions[2]`. */

/** One step into the config tree: a mapping key or a list index. */
export type PathSegment = string | number;

/** Keys that can be written after a dot without ambiguity; anything else is quoted in brackets. */
const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * `['tokens', 1, 'scope', 0, 'permissions', 2]` -> `tokens[1].scope[0].permissions[2]`. Keys with dots,
 * spaces or other punctuation are written `documents["my doc"]`; the empty path is `(root)`.
 */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** `path: message`, the one-line form of every config problem. */
export function problemAt(path: readonly PathSegment[], message: string): string {
  return `${formatPath(path)}: ${message}`;
}
