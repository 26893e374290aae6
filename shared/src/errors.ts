/**
 * The gateway's stable error codes, their HTTP statuses, and the formatting of validation errors.
 *
 * The codes are the Python grist-mcp proxy's (`UNAUTHORIZED`, `INVALID_TOKEN`, `TOKEN_EXPIRED`,
 * `INVALID_REQUEST`, `GRIST_ERROR`) plus finer ones. Every entry point reports the same code for the same
 * failure: the JSON proxy as `{success: false, error, code}` with {@link errorStatus} as HTTP status, the
 * typed client as `data.gatewayCode`, MCP in the tool error text.
 */
import type { z } from 'zod';

/**
 * Every error code with its (default) HTTP status and meaning.
 *
 * `GRIST_ERROR`: Grist (or the embedded engine standing in for it) refused or failed the operation and the
 * gateway passes its message on, with Grist's own status in `details.grist_status`. Its HTTP status follows
 * who is at fault (see {@link classifyGristFailure}): a Grist 4xx is the caller's request (HTTP 400, or 403
 * when Grist's access rules refuse it), a Grist 5xx or an answer the gateway cannot read is 502. Failures
 * the gateway can attribute more precisely get their own code: an unknown table, column or row is
 * `NOT_FOUND`, a body over Grist's limit `PAYLOAD_TOO_LARGE`.
 */
export const errorCodes = {
  INVALID_TOKEN: { status: 401, meaning: 'The bearer token is missing, malformed or unknown (or was revoked).' },
  TOKEN_EXPIRED: { status: 401, meaning: 'The session token has expired; request a new one.' },
  UNAUTHORIZED: {
    status: 403,
    meaning: 'The token is valid but lacks the permission, document or method (e.g. a session token on an agent method).',
  },
  INVALID_REQUEST: {
    status: 400,
    meaning: 'The request is malformed: unknown method, missing or wrongly typed field (the message names it).',
  },
  NOT_FOUND: { status: 404, meaning: 'The document, table, column, record or attachment does not exist.' },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    meaning: 'The request body, batch or upload exceeds the configured limit; split it into smaller requests.',
  },
  GRIST_ERROR: {
    status: 502,
    meaning:
      "Grist rejected or failed the operation; its message is passed on and its status is in details.grist_status. HTTP 400 (or 403) when Grist refused the request itself, 502 when Grist failed or answered something unreadable.",
  },
  RATE_LIMITED: { status: 429, meaning: 'Too many requests; wait and retry (see the Retry-After header).' },
  UNAVAILABLE: { status: 503, meaning: 'Grist or the document is unreachable or timed out; retry later.' },
  INTERNAL_ERROR: { status: 500, meaning: 'An unexpected gateway failure (details are logged, not returned).' },
} as const satisfies Record<string, { status: number; meaning: string }>;

/** A stable error code. */
export type ErrorCode = keyof typeof errorCodes;

/** Every error code, in a stable order. */
export const errorCodeNames = Object.keys(errorCodes) as ErrorCode[];

/** The HTTP status of a proxy response carrying `code`. */
export function errorStatus(code: ErrorCode): number {
  return errorCodes[code].status;
}

/** How a failure reported by Grist is classified: the stable code and the HTTP status the caller sees. */
export interface GristFailureClass {
  code: ErrorCode;
  status: number;
}

/** Where a failure came from, as far as the status alone cannot tell. */
export type GristFailureOrigin =
  /** Grist answered with this HTTP status and an error body. */
  | 'answer'
  /** Grist (or something in front of it) sent an answer the gateway cannot read, or of the wrong shape. */
  | 'malformed'
  /** Grist could not be reached, or did not answer in time. */
  | 'unreachable';

/**
 * The one mapping from (origin, Grist status) to the gateway's code and HTTP status, so that no caller
 * mistake is ever a 5xx (retry libraries retry those) and no Grist malfunction is ever a 4xx:
 *
 * | origin / Grist status      | code              | HTTP |
 * | -------------------------- | ----------------- | ---- |
 * | 429                        | RATE_LIMITED      | 429  |
 * | unreachable, 503, 504      | UNAVAILABLE       | 503  |
 * | 413                        | PAYLOAD_TOO_LARGE | 413  |
 * | 404                        | NOT_FOUND         | 404  |
 * | 403                        | GRIST_ERROR       | 403  |
 * | 401 (the gateway's key)    | GRIST_ERROR       | 502  |
 * | other 4xx                  | GRIST_ERROR       | 400  |
 * | 5xx, malformed answer      | GRIST_ERROR       | 502  |
 *
 * `callerFault` lets the caller of this function reclassify a Grist 5xx whose text shows it was the
 * request's fault (Grist answers some bad requests with 500, e.g. too many SQL arguments).
 */
export function classifyGristFailure(origin: GristFailureOrigin, gristStatus: number, callerFault: 'none' | 'request' | 'not_found' = 'none'): GristFailureClass {
  if (gristStatus === 429) return { code: 'RATE_LIMITED', status: 429 };
  if (origin === 'unreachable') return { code: 'UNAVAILABLE', status: 503 };
  if (origin === 'malformed') return { code: 'GRIST_ERROR', status: 502 };
  if (gristStatus === 503 || gristStatus === 504) return { code: 'UNAVAILABLE', status: 503 };
  if (gristStatus === 413) return { code: 'PAYLOAD_TOO_LARGE', status: 413 };
  if (gristStatus === 404 || callerFault === 'not_found') return { code: 'NOT_FOUND', status: 404 };
  if (gristStatus === 403) return { code: 'GRIST_ERROR', status: 403 };
  if (gristStatus === 401) return { code: 'GRIST_ERROR', status: 502 };
  if (gristStatus >= 400 && gristStatus < 500) return { code: 'GRIST_ERROR', status: 400 };
  if (callerFault === 'request') return { code: 'GRIST_ERROR', status: 400 };
  return { code: 'GRIST_ERROR', status: 502 };
}

/** `true` when `value` is one of the stable error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}

/**
 * Formats a path like `records[2].fields`: numeric segments as indexes, others as properties (quoted when
 * not identifier-like, e.g. `filter["Unit price"]`).
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (/^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** The JSON type name of a value, for "got ..." in messages. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

/** Reads the value at `path` inside `input`, or `undefined`. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** zod's names for expected types, in JSON terms. */
const EXPECTED_NAMES: Readonly<Record<string, string>> = { record: 'object', tuple: 'array', int: 'integer', map: 'object' };

/** One issue's message, made self-explanatory where zod's default is terse. */
function issueMessage(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
      if (input !== undefined) {
        const actual = valueAt(input, issue.path);
        if (actual === undefined) return 'required field is missing';
        return `expected ${expected}, got ${typeName(actual)}`;
      }
      // zod's own message reads "Invalid input: expected object, received string".
      if (/received undefined$/.test(issue.message)) return 'required field is missing';
      const received = /received (\w+)$/.exec(issue.message)?.[1];
      return received ? `expected ${expected}, got ${received}` : issue.message;
    }
    case 'invalid_union': {
      if (input === undefined) return issue.message;
      const actual = valueAt(input, issue.path);
      return actual === undefined ? 'required field is missing' : `${issue.message}, got ${typeName(actual)}`;
    }
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

/**
 * Turns a zod error into one clear line naming each field path, e.g.
 * `records[2].fields: expected object, got string; limit: Too small: expected number to be >0`.
 * Pass the validated `input` to get "got <type>" and "required field is missing" in type errors.
 * Issues of a failed union are reported once, by the union's own message.
 */
export function formatZodIssues(error: z.ZodError, input?: unknown): string {
  const parts = error.issues.map((issue) => {
    const path = formatPath(issue.path);
    const message = issueMessage(issue, input);
    return path === '' ? message : `${path}: ${message}`;
  });
  return [...new Set(parts)].join('; ');
}
