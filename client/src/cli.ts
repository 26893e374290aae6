#!/usr/bin/env node
/**
 * The client package's own command line, so a script author needs only the client:
 * `npx @grist-gateway/client types --url URL --token TOKEN [--document NAME] [--out FILE]`.
 */
import { runTypesCommand, typesUsage } from '@grist-gateway/shared/codegen/command';

const PROGRAM = 'grist-gateway-client';
const io = {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
  env: process.env,
};

const [command, ...rest] = process.argv.slice(2);
if (command === 'types') {
  process.exitCode = await runTypesCommand(PROGRAM, rest, io);
} else if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
  io.stderr(`${PROGRAM}: the command line of @grist-gateway/client. Its one command:\n\n${typesUsage(PROGRAM)}`);
  process.exitCode = command === undefined ? 1 : 0;
} else {
  io.stderr(`Unknown command "${command}".\n\n${typesUsage(PROGRAM)}`);
  process.exitCode = 1;
}
