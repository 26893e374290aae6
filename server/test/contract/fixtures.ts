/**
 * Loading the recorded Grist contract fixtures (`server/test/contract/recorded/fixtures`, see its README)
 * and turning a recorded step into the exact HTTP request to send.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the fixtures live: the copy recorded against Grist and kept in the repository (`recorded/`, with
 * its README), overridable to replay another recording.
 */
export const FIXTURES_DIR =
  process.env['GRIST_CONTRACT_FIXTURES'] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'recorded', 'fixtures');

/** One multipart part of a recorded upload. */
export interface MultipartPart {
  field: string;
  filename: string;
  contentType: string;
  contentBase64: string;
}

/** A recorded request. */
export interface FixtureRequest {
  method: string;
  path: string;
  url: string;
  query?: Record<string, unknown>;
  headers?: Record<string, string>;
  auth?: string;
  body?: unknown;
  raw_body?: string;
  body_template?: unknown;
  multipart?: MultipartPart | MultipartPart[];
}

/** A recorded response. */
export interface FixtureResponse {
  status: number;
  content_type?: string;
  headers?: Record<string, string>;
  body_kind: 'json' | 'text' | 'base64';
  body: unknown;
}

/** A recorded step. */
export interface FixtureStep {
  name: string;
  note?: string;
  request: FixtureRequest;
  response: FixtureResponse;
}

/** A fixture file. */
export interface Fixture {
  /** File name without `.json`, e.g. `02-records-write`. */
  name: string;
  steps: FixtureStep[];
  final_state: {
    tables: unknown;
    columns: Record<string, unknown>;
    records: Record<string, unknown>;
  };
}

/** Every fixture file, in name order. */
export function loadFixtures(dir = FIXTURES_DIR): Fixture[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const parsed = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Omit<Fixture, 'name'>;
      return { ...parsed, name: f.replace(/\.json$/, '') };
    });
}

/** Replaces the literal `{docId}` (also percent-encoded) everywhere in a string. */
function withDocId(text: string, docId: string): string {
  return text.replaceAll('{docId}', docId).replaceAll('%7BdocId%7D', docId);
}

/** Deep `{docId}` substitution in a JSON value. */
export function substituteDocId(value: unknown, docId: string): unknown {
  if (typeof value === 'string') return withDocId(value, docId);
  if (Array.isArray(value)) return value.map((v: unknown) => substituteDocId(v, docId));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteDocId(v, docId)]));
  }
  return value;
}

/** Expands `{"$repeat": [text, n]}` and `{"$array": [item, n]}` in a body template. */
export function expandTemplate(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expandTemplate);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const repeat = obj['$repeat'];
    if (Array.isArray(repeat)) return String(repeat[0]).repeat(Number(repeat[1]));
    const array = obj['$array'];
    if (Array.isArray(array)) return Array.from({ length: Number(array[1]) }, () => expandTemplate(array[0]));
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, expandTemplate(v)]));
  }
  return value;
}

/** The HTTP request of a step, ready to send. */
export interface BuiltRequest {
  method: string;
  /** Path + query. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Builds a multipart/form-data body. */
function multipartBody(parts: MultipartPart[]): { body: Buffer; contentType: string } {
  const boundary = '----gristGatewayReplay' + 'x'.repeat(8);
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.field}"; filename="${part.filename}"\r\n` +
          `Content-Type: ${part.contentType}\r\n\r\n`,
        'utf8',
      ),
      Buffer.from(part.contentBase64, 'base64'),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Turns a recorded request into the request to send, following the README's rules. */
export function buildRequest(req: FixtureRequest, docId: string, apiKey: string): BuiltRequest {
  const headers: Record<string, string> = {};
  if (req.auth === undefined) headers['authorization'] = `Bearer ${apiKey}`;
  else if (req.auth !== 'none') headers['authorization'] = req.auth.replaceAll('{KEY}', apiKey);
  let body: Buffer | undefined;
  if (req.multipart !== undefined) {
    const built = multipartBody(Array.isArray(req.multipart) ? req.multipart : [req.multipart]);
    body = built.body;
    headers['content-type'] = built.contentType;
  } else if (req.raw_body !== undefined) {
    body = Buffer.from(withDocId(req.raw_body, docId), 'utf8');
    headers['content-type'] = 'application/json';
  } else if (req.body_template !== undefined) {
    body = Buffer.from(JSON.stringify(expandTemplate(substituteDocId(req.body_template, docId))), 'utf8');
    headers['content-type'] = 'application/json';
  } else if (req.body !== undefined) {
    body = Buffer.from(JSON.stringify(substituteDocId(req.body, docId)), 'utf8');
    headers['content-type'] = 'application/json';
  }
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    const key = name.toLowerCase();
    // An empty Content-Type in the scenario means "send none".
    if (value === '') delete headers[key];
    else headers[key] = value;
  }
  return { method: req.method, path: withDocId(req.url, docId), headers, ...(body ? { body } : {}) };
}
