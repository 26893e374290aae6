/**
 * Request body rules of Grist's REST API (grist-api.md section 1.4), i.e. those of Express's
 * `express.json({limit: '1mb'})` in strict mode:
 * - a body is parsed only when `Content-Type` is `application/json` (any parameters); otherwise it is
 *   treated as empty (`{}`), so validation then reports what is missing;
 * - an empty JSON body is `{}`;
 * - the top level must be an object or an array; anything else is 400 with the message body-parser
 *   builds (`Unexpected token 'n', "null" is not valid JSON`);
 * - malformed JSON is 400 with the `JSON.parse` message;
 * - more than 1 MB is 413 `request entity too large`, checked while streaming so a huge body is never
 *   held whole.
 */
import { GristError } from '../backend/errors.js';
import { readRequestLimited } from '../util/read-limited.js';

/** Grist's JSON body limit (Express `'1mb'`). */
export const JSON_BODY_LIMIT = 1024 * 1024;

/** True when the request's `Content-Type` is JSON (`application/json`, any parameters, any case). */
export function isJsonContentType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  const base = contentType.split(';', 1)[0]?.trim().toLowerCase();
  return base === 'application/json';
}

/** Reads the raw bytes of a request body, failing with 413 as soon as it exceeds `limit`. */
export function readBodyLimited(req: Request, limit: number): Promise<Uint8Array> {
  return readRequestLimited(req, limit, () => new GristError(413, 'request entity too large'));
}

/** The first non-whitespace character of `text` (JSON whitespace only), or undefined. */
function firstChar(text: string): string | undefined {
  return /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d])/.exec(text)?.[1];
}

/**
 * body-parser's error for a top level that is not an object or array: it parses a copy where the text
 * from that character on is replaced by `#`, then puts the original characters back into the message.
 * This gives `Unexpected token 'n', "null" is not valid JSON` on the running Node version.
 */
function strictSyntaxError(text: string, char: string | undefined): GristError {
  const index = char === undefined ? -1 : text.indexOf(char);
  const partial = index < 0 ? '' : text.slice(0, index) + '#'.repeat(text.length - index);
  let message = 'strict violation';
  try {
    JSON.parse(partial);
  } catch (err) {
    message = (err as Error).message.replace(/#+/g, (run) => text.slice(index, index + run.length));
  }
  return new GristError(400, message);
}

/**
 * Parses a JSON body text with Express's strict rules. Returns `{}` for an empty body; throws a 400
 * {@link GristError} carrying the parser's message.
 */
export function parseStrictJson(text: string): unknown {
  if (text.length === 0) return {};
  const first = firstChar(text);
  if (first !== '{' && first !== '[') throw strictSyntaxError(text, first);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new GristError(400, (err as Error).message);
  }
}

/**
 * The parsed JSON body of a request under Grist's rules: `{}` when the content type is not JSON (the
 * body is then not read at all), else the strictly parsed body, at most {@link JSON_BODY_LIMIT} bytes.
 */
export async function readJsonBody(req: Request, limit = JSON_BODY_LIMIT): Promise<unknown> {
  if (!isJsonContentType(req.headers.get('content-type'))) return {};
  const bytes = await readBodyLimited(req, limit);
  // Strip a UTF-8 BOM like body-parser's decoder does.
  const text = new TextDecoder('utf-8').decode(bytes);
  return parseStrictJson(text);
}
