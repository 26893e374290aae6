/** The single error type of config loading, carrying every problem found. */

/**
 * A config that cannot be used. `problems` lists every problem found (each prefixed with its path in
 * the file, e.g. `tokens[0].scope[1].document: unknown document "salez" (known: sales, demo)`), and
 * the message lists them all under the file name. Problems never contain secret values.
 */
export class ConfigError extends Error {
  /** Every problem, one line each. */
  readonly problems: string[];
  /** The file (or source label) the problems are about. */
  readonly source: string;

  /** @param source file path or label; @param problems one line per problem (at least one). */
  constructor(source: string, problems: string[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`Invalid config ${source} (${count}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
    this.source = source;
  }
}
