/**
 * `grist-gateway types --url URL --token TOKEN [--document NAME] [--out FILE]`: writes the TypeScript
 * schema module of a live document (from the gateway's `GET /api/v1/types.ts`) for the typed client.
 * The same command as the client package's own bin (`npx @grist-gateway/client types ...`).
 */
import { runTypesCommand } from '@grist-gateway/shared/codegen/command';
import type { Command } from './command.js';

/** Runs `types`; resolves to the exit code. */
export function runTypes(args: string[]): Promise<number> {
  return runTypesCommand('grist-gateway', args, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  });
}

/** `types`: parses its own arguments (the same command as the client's bin). */
export const typesCommand: Command = {
  name: 'types',
  summary: 'Write the TypeScript types of a document for the typed client (types --help).',
  description: 'Writes the TypeScript schema module of a live document for createGatewayClient<Schema>().',
  options: [],
  run: () => runTypes([]),
  runArgs: runTypes,
};
