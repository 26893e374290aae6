/**
 * `${VAR}` substitution in config values. Every string value (never a key) has each `${NAME}` replaced
 * by the environment variable NAME; an unset variable is a problem naming the variable and the value's
 * path. There is no escape syntax: a literal `${` cannot appear in a value. Substitution happens after
 * YAML parsing, so a variable's content is never interpreted as YAML.
 */
import { formatPath, problemAt } from './paths.js';
import type { PathSegment } from './paths.js';
import type { YamlTree } from './yaml.js';

/** Same pattern as the Python grist-mcp: `${` then anything up to the first `}`. */
const VARIABLE = /\$\{([^}]+)\}/g;

/** Result of {@link substituteEnv}. */
export interface SubstitutionResult {
  /** The tree with variables replaced (values with an unset variable are left as written). */
  value: YamlTree;
  /** One problem per unset variable occurrence. */
  problems: string[];
  /** Formatted paths of values that still hold an unresolved `${...}` (so later checks can skip them). */
  unresolved: Set<string>;
}

/** Replaces `${VAR}` in every string value of `tree` with `env.VAR`. */
export function substituteEnv(tree: YamlTree, env: NodeJS.ProcessEnv): SubstitutionResult {
  const problems: string[] = [];
  const unresolved = new Set<string>();

  const walk = (node: YamlTree, path: PathSegment[]): YamlTree => {
    if (typeof node === 'string') {
      let missing = false;
      const replaced = node.replace(VARIABLE, (whole, name: string) => {
        const value = env[name];
        if (value === undefined) {
          problems.push(problemAt(path, `environment variable ${name} is not set`));
          missing = true;
          return whole;
        }
        return value;
      });
      if (missing) {
        unresolved.add(formatPath(path));
        return node;
      }
      return replaced;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null) {
      const out: { [key: string]: YamlTree } = {};
      for (const [key, child] of Object.entries(node)) {
        Object.defineProperty(out, key, { value: walk(child, [...path, key]), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return null;
  };

  return { value: walk(tree, []), problems, unresolved };
}
