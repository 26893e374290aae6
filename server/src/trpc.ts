/**
 * The one `initTRPC` of the gateway and the procedure builders every router file uses.
 *
 * - Every procedure carries `meta` ({@link Meta}): its wire name and the permission it needs. The builders
 *   below are derived from the method registry ({@link dataMethod}, {@link agentMethod}), so name,
 *   permission, input and output are declared once, in `@grist-gateway/shared`.
 * - Errors leave every procedure as a {@link GatewayError} wrapped in a TRPCError with the matching tRPC
 *   code; the error formatter adds the stable `gatewayCode` for the typed client.
 * - Every call is reported once to the per-call hook (`observability/calls.ts`): its log line and metrics.
 */
import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { requiredPermissions, withFastInput, withFastOutput, type MethodDefinition, type MethodPermission, type Permission } from '@grist-gateway/shared';
import { buildScopeView, checkScopedCall, filterScopedOutput } from './auth/scope-guard.js';
import { agentGrant, type Context, type Grant } from './context.js';
import { GatewayError, toGatewayError, toTrpcError } from './errors.js';
import { documentArgument, recordCall, rowsOf } from './observability/calls.js';
import { refuseForbiddenKeys } from './security/input-keys.js';
import { withoutServerPaths } from './security/paths.js';

/** Per-procedure metadata, read by the middlewares and the MCP layer. */
export interface Meta {
  /** Wire name of the method (`add_records`). */
  method: string;
  /** What the caller must hold. */
  permission: MethodPermission;
  /** Further document permissions it needs (from the registry's `alsoRequires`). */
  alsoRequires?: readonly Permission[];
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: superjson,
    isDev: false,
    errorFormatter({ shape, error }) {
      const gatewayError = toGatewayError(error);
      return {
        ...shape,
        message: gatewayError.message,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          gatewayCode: gatewayError.code,
          details: gatewayError.details ?? null,
        },
      };
    },
  });

/** Builds a router from procedures. */
export const router = t.router;
/** Makes in-process callers (`createCaller`) for a router. */
export const createCallerFactory = t.createCallerFactory;

/** Base procedure: normalises errors and reports every call once to the per-call hook (log line, metrics). */
const loggedProcedure = t.procedure.use(async ({ ctx, meta, next, getRawInput }) => {
  const started = performance.now();
  const result = await next();
  const durationMs = performance.now() - started;
  const input = await getRawInput().catch(() => undefined);
  const error = result.ok ? undefined : toGatewayError(result.error);
  // The cause of an internal error is logged (never sent): the original error, else tRPC's wrapper.
  const cause = result.ok || error?.code !== 'INTERNAL_ERROR' ? undefined : (error.cause ?? result.error.cause ?? result.error);
  recordCall(ctx.services, {
    entry: ctx.entry,
    agent: ctx.grant?.principal ?? ctx.agent?.name ?? null,
    document: ctx.grant?.document ?? documentArgument(input),
    method: meta?.method ?? 'unknown',
    rows: result.ok ? rowsOf(input, result.data) : undefined,
    status: result.ok ? 'ok' : 'error',
    code: error?.code,
    durationMs,
    error: cause,
  });
  if (result.ok) return result;
  throw toTrpcError(error!);
});

/** Procedures that need an agent token (agent-level operations). */
export const agentProcedure = loggedProcedure.use(({ ctx, next }) => {
  if (!ctx.agent) {
    if (ctx.grant?.via === 'session') {
      throw new GatewayError('UNAUTHORIZED', 'This method needs an agent token; a session token cannot use it');
    }
    throw new GatewayError(ctx.authFailure?.code ?? 'INVALID_TOKEN', ctx.authFailure?.message ?? 'Missing token');
  }
  return next({ ctx: { agent: ctx.agent } });
});

/**
 * Procedures on one document's data: need a grant holding the permission named in `meta` (fail closed
 * when `meta` is missing).
 */
export const documentProcedure = loggedProcedure.use(async ({ ctx, meta, next, getRawInput }) => {
  const raw = await getRawInput().catch(() => undefined);
  refuseForbiddenKeys(raw, meta?.method);
  const requested =
    raw && typeof raw === 'object' && typeof (raw as { document?: unknown }).document === 'string'
      ? (raw as { document: string }).document
      : undefined;
  let grant: Grant | null = ctx.grant;
  if (!grant) {
    if (ctx.authFailure) throw new GatewayError(ctx.authFailure.code, ctx.authFailure.message);
    if (!ctx.agent) throw new GatewayError('INVALID_TOKEN', 'Missing token');
    if (requested === undefined) {
      throw new GatewayError(
        'INVALID_REQUEST',
        'Missing required field: document (an agent token must name the document; a session token is bound to one)',
      );
    }
    grant = agentGrant(ctx.agent, requested);
    if (!grant) throw new GatewayError('UNAUTHORIZED', `Document "${requested}" is not in this agent's scope`);
  } else if (requested !== undefined && requested !== grant.document) {
    throw new GatewayError(
      'UNAUTHORIZED',
      `This token is bound to document "${grant.document}", not "${requested}"`,
    );
  }
  const needed = meta ? requiredPermissions(meta) : [];
  const missing = needed.length === 0 ? 'unknown' : needed.find((p) => p === 'agent' || !grant.permissions.has(p));
  if (missing !== undefined) {
    const all = needed.length > 1 ? ` (it needs ${needed.map((p) => `'${p}'`).join(' and ')})` : '';
    throw new GatewayError(
      'UNAUTHORIZED',
      `Permission '${missing}' required for ${meta?.method ?? 'this method'} on document "${grant.document}"${all}`,
    );
  }
  const result = await next({ ctx: { grant } });
  if (!result.ok) {
    const table = raw && typeof raw === 'object' ? (raw as { table?: unknown }).table : undefined;
    const error = await withValidNames(toGatewayError(result.error), ctx, grant, typeof table === 'string' ? table : undefined);
    throw toTrpcError(withoutServerPaths(error, ctx.services.backends.get(grant.document), grant.document, ctx.services.logger));
  }
  return result;
});

/**
 * For "not found" errors given to a token with `read` or `schema`, adds what does exist (the table's column ids, or the document's table ids) to
 * the message and `details.valid`, so an agent can correct itself in one step.
 */
async function withValidNames(error: GatewayError, ctx: Context, grant: Grant, table: string | undefined): Promise<GatewayError> {
  // Only a token that may see the document's structure learns its table and column names.
  if (!grant.permissions.has('read') && !grant.permissions.has('schema')) return error;
  if (error.code !== 'NOT_FOUND' || error.details?.valid || /row id|Attachment/.test(error.message)) return error;
  // A token limited to some tables gets its (filtered) lists from the scope guard in dataMethod, never these.
  if (grant.tables?.length) return error;
  try {
    const backend = ctx.services.backends.get(grant.document);
    if (/^Table not found/.test(error.message) || error.details?.column === undefined && !table) {
      const tables = (await backend.listTables()).map((t) => t.id);
      return new GatewayError('NOT_FOUND', `${error.message} (tables: ${tables.join(', ') || 'none'})`, { ...error.details, valid: tables });
    }
    if (table) {
      const columns = (await backend.listColumns(table)).map((c) => c.id);
      return new GatewayError('NOT_FOUND', `${error.message} (columns of ${table}: ${columns.join(', ') || 'none'})`, {
        ...error.details,
        table,
        valid: columns,
      });
    }
  } catch {
    // Best effort: the original error stands.
  }
  return error;
}

/**
 * The procedure builder of one data method, with its registry metadata, input and output. Calls of a token
 * limited to some tables and columns go through the scope guard (`auth/scope-guard.ts`) here, once for every
 * entry point: the parsed input is checked before the method runs, and its answer (and any "not found"
 * error) is filtered to what the token may see. Bulk record inputs are checked by a compiled fast path
 * first (`withFastInput`); zod still gives every error message.
 */
export function dataMethod<D extends MethodDefinition>(def: D) {
  return documentProcedure
    .meta({ method: def.name, permission: def.permission, ...(def.alsoRequires ? { alsoRequires: def.alsoRequires } : {}) })
    .input(withFastInput(def.name, def.input as D['input']))
    .use(async ({ ctx, meta, input, next }) => {
      const layers = ctx.grant.tables;
      if (!layers || layers.length === 0) return next();
      const method = meta?.method ?? '';
      const backend = ctx.services.backends.get(ctx.grant.document);
      const view = await buildScopeView(layers, backend);
      await checkScopedCall(method, input, view, ctx.grant.permissions, backend);
      const result = await next();
      if (result.ok) return { ...result, data: filterScopedOutput(method, result.data, view, input) };
      const error = toGatewayError(result.error);
      if (error.code !== 'NOT_FOUND' || error.details?.valid) return result;
      // Never let the generic "not found" helper list the whole document to a scoped token.
      const table = typeof (input as { table?: unknown }).table === 'string' ? (input as { table: string }).table : undefined;
      const mayList = ctx.grant.permissions.has('read') || ctx.grant.permissions.has('schema');
      const valid = !mayList ? [] : table !== undefined && view.hasTable(table) ? view.columns(table) : view.tables();
      throw toTrpcError(new GatewayError('NOT_FOUND', error.message, { ...error.details, valid }, error.cause));
    })
    .output(withFastOutput(def.name, def.output as D['output']));
}

/** The procedure builder of one agent-level method. */
export function agentMethod<D extends MethodDefinition>(def: D) {
  return agentProcedure
    .meta({ method: def.name, permission: def.permission })
    .input(def.input as D['input'])
    .output(def.output as D['output']);
}
