/** `grist-gateway token`: a new agent token and its config line. */
import { generateAgentToken } from '../auth/tokens.js';
import type { Command } from './command.js';

/** Prints a new agent token (stdout) and how to use it. */
export function runToken(): number {
  const { token, sha256 } = generateAgentToken();
  process.stdout.write(
    `${token}\n` +
      `\n# Put this in the tokens: list of your config (only the digest is stored):\n` +
      `#   - name: my-agent\n` +
      `#     token_sha256: ${sha256}\n` +
      `#     scope:\n` +
      `#       - document: demo\n` +
      `#         permissions: [read, write]\n` +
      `# Give the token above to the agent; it is shown only now.\n`,
  );
  return 0;
}

/** The `token` command. */
export const tokenCommand: Command = {
  name: 'token',
  summary: 'Print a new agent token and the token_sha256 line to put in the config.',
  description:
    'Prints a new random agent token (gga_...) on stdout, then, as comments, the config entry that grants it: ' +
    'only its SHA-256 digest goes into the config. Nothing is written to disk.',
  options: [],
  run: () => runToken(),
};
