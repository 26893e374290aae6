/**
 * `grist-gateway types --url URL --token TOKEN [--document NAME] [--out FILE]`: writes the TypeScript
 * schema module of a live document (from the gateway's `GET /api/v1/types.ts`) for the typed client.
 * The same command as the client package's own bin (`npx @grist-gateway/client types ...`).
 */
import { runTypesCommand } from '@grist-gateway/shared/codegen/command';

/** Runs `types`; resolves to the exit code. */
export function runTypes(args: string[]): Promise<number> {
  return runTypesCommand('grist-gateway', args, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  });
}
