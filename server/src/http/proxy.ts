/**
 * The plain JSON adapter: `POST /api/v1/proxy` with `Authorization: Bearer sess_...` and
 * `{"method": "add_records", ...fields}`. It calls the same router in-process (`createCaller`), so it adds
 * nothing but parsing and the `{success, data}` / `{success, error, code}` envelope.
 */
import { agentMethodNames, dataMethodNames, type MethodName } from '@grist-gateway/shared';
import type { Context as HonoContext } from 'hono';
import { bearerToken, contextFromBearer, type GatewayServices } from '../context.js';
import { GatewayError, toGatewayError } from '../errors.js';
import { createCaller } from '../routers/index.js';
import { readTextLimited } from './body.js';
import { jsonAnswer } from './headers.js';
import { isUnboundedRead, streamAllRecords } from './stream-records.js';
import type { Logger } from '../log.js';

/** Options of the proxy endpoint. */
export interface ProxyOptions {
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
}

/**
 * Every method is reachable: data methods with a session token (or an agent token plus `document`), and
 * agent-level methods (request_session_token, ...) with an agent token, so curl alone can do a full session.
 */
const knownMethods: ReadonlySet<string> = new Set<string>([...dataMethodNames, ...agentMethodNames]);

/** The error envelope, with the status of its code. */
export function errorResponse(c: HonoContext, err: unknown, logger?: Logger): Response {
  const error = toGatewayError(err);
  if (error.code === 'INTERNAL_ERROR' && logger) logger.error({ err: error.cause ?? err, path: c.req.path }, 'internal error');
  const body: Record<string, unknown> = { success: false, error: error.message, code: error.code };
  if (error.details) body.details = error.details;
  const retry = error.code === 'RATE_LIMITED' ? { 'retry-after': String(error.details?.retry_after ?? 1) } : undefined;
  return jsonAnswer(body, error.status, retry);
}

/** Parses and checks the envelope `{method, ...fields}`; throws INVALID_REQUEST naming the problem. */
export function parseProxyRequest(text: string): { method: MethodName; input: Record<string, unknown> } {
  if (text.trim() === '') throw new GatewayError('INVALID_REQUEST', 'Empty request body: send a JSON object like {"method": "list_tables"}');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new GatewayError('INVALID_REQUEST', `Invalid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    throw new GatewayError('INVALID_REQUEST', `Request body must be a JSON object with a "method" field, got ${kind}`);
  }
  const { method, ...input } = parsed as Record<string, unknown>;
  if (method === undefined) throw new GatewayError('INVALID_REQUEST', 'Missing required field: method');
  if (typeof method !== 'string') throw new GatewayError('INVALID_REQUEST', 'method: expected a string');
  if (!knownMethods.has(method)) {
    throw new GatewayError('INVALID_REQUEST', `Unknown method: ${method} (known: ${[...knownMethods].join(', ')})`);
  }
  return { method: method as MethodName, input };
}

/** Builds the Hono handler of `POST /api/v1/proxy`. */
export function proxyHandler(services: GatewayServices, options: ProxyOptions) {
  return async (c: HonoContext): Promise<Response> => {
    try {
      const ctx = await contextFromBearer(services, bearerToken(c.req.header('authorization')), 'proxy');
      if (ctx.authFailure) throw new GatewayError(ctx.authFailure.code, ctx.authFailure.message);
      const text = await readTextLimited(c, options.maxBodyBytes);
      const { method, input } = parseProxyRequest(text);
      // The request's signal aborts when the client disconnects: long work for it (SQL) is dropped.
      const caller = createCaller(ctx, { signal: c.req.raw.signal }) as unknown as Record<MethodName, (input: unknown) => Promise<unknown>>;
      if (isUnboundedRead(method, input)) {
        const answer = await streamAllRecords(caller.get_records as Parameters<typeof streamAllRecords>[0], input);
        if ('data' in answer) return jsonAnswer({ success: true, data: answer.data });
        return c.body(answer.stream, 200, { 'content-type': 'application/json' });
      }
      const data = await caller[method](input);
      return jsonAnswer({ success: true, data });
    } catch (err) {
      // The router has logged the failed call already (with its cause for INTERNAL_ERROR).
      return errorResponse(c, err);
    }
  };
}
