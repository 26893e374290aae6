/** `grist-gateway token`: a new agent token and its config line. */
import { generateAgentToken } from '../auth/tokens.js';

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
