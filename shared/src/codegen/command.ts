/**
 * The `types` command, shared by `npx grist-gateway types` (server CLI) and `npx @grist-gateway/client
 * types` (the client's bin): fetch a live document's schema module from a gateway's
 * `GET /api/v1/types.ts` and write it to a file (or stdout).
 *
 * Unlike the rest of the codegen folder this does I/O (network, file), so it is its own entry
 * (`@grist-gateway/shared/codegen/command`), used by the two command-line programs only.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** Help text of the command; `program` is how it was invoked (`grist-gateway`, `grist-gateway-client`). */
export function typesUsage(program: string): string {
  return `Usage: ${program} types --url URL [--token TOKEN] [--document NAME] [--out FILE] [--name Schema] [--open-choices]

Writes the TypeScript types of a document's tables (export type Schema = {...}) for the typed client:
createGatewayClient<Schema>({ url, token }).

  --url <url>       the gateway, e.g. http://127.0.0.1:3000 (else GRIST_GATEWAY_URL)
  --token <token>   a session token with read or schema, or an agent token with --document
                    (else GRIST_GATEWAY_TOKEN)
  --document <name> the document (needed with an agent token)
  --out <file>      where to write the module (else stdout)
  --name <name>     name of the exported type (default Schema)
  --open-choices    Choice columns also accept values outside their listed choices
`;
}

/** Where the command writes (the process's streams in real use). */
export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

/** The innermost message of a failed fetch: `connect ECONNREFUSED 127.0.0.1:3000`. */
function causeText(err: unknown): string {
  let text = '';
  for (let current: unknown = err, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    const nested = (current as Error & { errors?: unknown }).errors;
    const own = current.message || (Array.isArray(nested) ? nested.map((e) => (e instanceof Error ? e.message : String(e))).join('; ') : '');
    if (own) text = own;
  }
  return text || String(err);
}

/**
 * Runs `types` with its arguments (after the command name); resolves to the exit code. Errors are one
 * line on stderr with the gateway's code: `UNAUTHORIZED: Permission 'read' or 'schema' required ...`,
 * `UNAVAILABLE: cannot reach http://127.0.0.1:3000/api/v1/types.ts: connect ECONNREFUSED 127.0.0.1:3000`.
 */
export async function runTypesCommand(program: string, args: string[], io: CommandIO): Promise<number> {
  let values: { url?: string; token?: string; document?: string; out?: string; name?: string; 'open-choices'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        document: { type: 'string' },
        out: { type: 'string' },
        name: { type: 'string' },
        'open-choices': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    io.stderr(`${program} types: ${(err as Error).message}\n\n${typesUsage(program)}`);
    return 1;
  }
  if (values.help) {
    io.stdout(typesUsage(program));
    return 0;
  }
  const url = values.url ?? io.env.GRIST_GATEWAY_URL;
  const token = values.token ?? io.env.GRIST_GATEWAY_TOKEN;
  const missing = [url ? undefined : '--url (or GRIST_GATEWAY_URL)', token ? undefined : '--token (or GRIST_GATEWAY_TOKEN)'].filter(Boolean);
  if (missing.length > 0 || !url || !token) {
    io.stderr(`${program} types: missing ${missing.join(' and ')}\n\n${typesUsage(program)}`);
    return 1;
  }

  const query = new URLSearchParams();
  if (values.document !== undefined) query.set('document', values.document);
  if (values.name !== undefined) query.set('name', values.name);
  if (values['open-choices']) query.set('open_choices', 'true');
  const base = url.replace(/\/+$/, '').replace(/\/api\/v1\/proxy$/, '');
  const endpoint = `${base}/api/v1/types.ts${query.size > 0 ? `?${query.toString()}` : ''}`;

  let response: Response;
  try {
    response = await (io.fetch ?? fetch)(endpoint, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    io.stderr(`${program} types: UNAVAILABLE: cannot reach ${endpoint}: ${causeText(err)}\n`);
    return 1;
  }
  const text = await response.text();
  if (!response.ok) {
    let answer: { error?: unknown; code?: unknown } = {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      // not the gateway's JSON error: report the status
    }
    const code = typeof answer.code === 'string' ? answer.code : `HTTP ${response.status}`;
    const message = typeof answer.error === 'string' ? answer.error : `${endpoint} answered ${response.status} ${response.statusText}`;
    io.stderr(`${program} types: ${code}: ${message}\n`);
    return 1;
  }
  if (values.out === undefined) {
    io.stdout(text);
    return 0;
  }
  const out = path.resolve(values.out);
  try {
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.writeFile(out, text, 'utf8');
  } catch (err) {
    io.stderr(`${program} types: cannot write ${out}: ${(err as Error).message}\n`);
    return 1;
  }
  io.stderr(`Wrote the types of ${values.document ? `document "${values.document}"` : 'the document'} to ${out}\n`);
  return 0;
}
