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
import { getTRPCErrorFromUnknown, initTRPC } from '@trpc/server';
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

/**
 * Reports one finished call to the per-call hook (log line, metrics) and normalises its error: throws it as
 * the TRPCError of its gateway error. `failure` is what the rest of the procedure failed with (a tRPC
 * result's error, or what it threw).
 */
async function reportCall(
  ctx: Context,
  meta: Meta | undefined,
  getRawInput: () => Promise<unknown>,
  started: number,
  outcome: { ok: true; data: unknown } | { ok: false; error: unknown },
): Promise<void> {
  const durationMs = performance.now() - started;
  const input = await getRawInput().catch(() => undefined);
  const failure = outcome.ok ? undefined : outcome.error;
  const error = outcome.ok ? undefined : toGatewayError(failure);
  // The cause of an internal error is logged (never sent): the original error, else tRPC's wrapper.
  const cause = error?.code !== 'INTERNAL_ERROR' ? undefined : (error.cause ?? (failure as { cause?: unknown }).cause ?? failure);
  recordCall(ctx.services, {
    entry: ctx.entry,
    agent: ctx.grant?.principal ?? ctx.agent?.name ?? null,
    document: ctx.grant?.document ?? documentArgument(input),
    method: meta?.method ?? 'unknown',
    rows: outcome.ok ? rowsOf(input, outcome.data) : undefined,
    status: outcome.ok ? 'ok' : 'error',
    code: error?.code,
    durationMs,
    error: cause,
  });
  if (error) throw toTrpcError(error);
}

/** Base procedure: normalises errors and reports every call once to the per-call hook (log line, metrics). */
const loggedProcedure = t.procedure.use(async ({ ctx, meta, next, getRawInput }) => {
  const started = performance.now();
  const result = await next();
  await reportCall(ctx, meta, getRawInput, started, result);
  return result;
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
 * The grant a data call runs under: the session's, or the agent's on the document it names; checked to
 * hold the permissions named in `meta` (fail closed when `meta` is missing). Throws GatewayError.
 */
function authorizeDocumentCall(ctx: Context, meta: Meta | undefined, raw: unknown): Grant {
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
  const granted = grant;
  const missing = needed.length === 0 ? 'unknown' : needed.find((p) => p === 'agent' || !granted.permissions.has(p));
  if (missing !== undefined) {
    const all = needed.length > 1 ? ` (it needs ${needed.map((p) => `'${p}'`).join(' and ')})` : '';
    throw new GatewayError(
      'UNAUTHORIZED',
      `Permission '${missing}' required for ${meta?.method ?? 'this method'} on document "${grant.document}"${all}`,
    );
  }
  return grant;
}

/**
 * Procedures on one document's data: need a grant holding the permission named in `meta`. One middleware
 * both reports the call (as {@link loggedProcedure} does) and checks the grant: every tRPC middleware level
 * copies the call's options twice, so the common path (every read and write) has as few as it can.
 */
export const documentProcedure = t.procedure.use(async ({ ctx, meta, next, getRawInput }) => {
  const started = performance.now();
  let result;
  try {
    const raw = await getRawInput().catch(() => undefined);
    const grant = authorizeDocumentCall(ctx, meta, raw);
    // A session's grant is already the context's: no copy of the context to say so again.
    result = ctx.grant === grant ? ((await next()) as Awaited<ReturnType<typeof next<{ grant: Grant }>>>) : await next({ ctx: { grant } });
    if (!result.ok) {
      const table = raw && typeof raw === 'object' ? (raw as { table?: unknown }).table : undefined;
      const error = await withValidNames(toGatewayError(result.error), ctx, grant, typeof table === 'string' ? table : undefined);
      throw toTrpcError(withoutServerPaths(error, ctx.services.backends.get(grant.document), grant.document, ctx.services.logger));
    }
  } catch (cause) {
    await reportCall(ctx, meta, getRawInput, started, { ok: false, error: getTRPCErrorFromUnknown(cause) });
    throw cause; // not reached: reportCall throws the call's error
  }
  await reportCall(ctx, meta, getRawInput, started, result);
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

/** What a data method's resolver receives (the part the scope guard reads). */
interface ScopedCall {
  ctx: Context & { grant: Grant };
  input: unknown;
}

/**
 * The resolver wrapped in the scope guard (`auth/scope-guard.ts`) for calls of a token limited to some
 * tables and columns: the parsed input is checked before the method runs, and its answer (and any "not
 * found" error) is filtered to what the token may see. Other calls go straight to the resolver. (A wrapper
 * rather than one more tRPC middleware: each level copies the call's options twice, on every call.)
 */
function scopedResolver<O extends ScopedCall, R>(method: string, resolve: (opts: O) => R | Promise<R>): (opts: O) => Promise<R> {
  return async (opts) => {
    const { ctx, input } = opts;
    const layers = ctx.grant.tables;
    if (!layers || layers.length === 0) return resolve(opts);
    const backend = ctx.services.backends.get(ctx.grant.document);
    const view = await buildScopeView(layers, backend);
    await checkScopedCall(method, input, view, ctx.grant.permissions, backend);
    let data: R;
    try {
      data = await resolve(opts);
    } catch (err) {
      const error = toGatewayError(err);
      if (error.code !== 'NOT_FOUND' || error.details?.valid) throw err;
      // Never let the generic "not found" helper list the whole document to a scoped token.
      const table = typeof (input as { table?: unknown }).table === 'string' ? (input as { table: string }).table : undefined;
      const mayList = ctx.grant.permissions.has('read') || ctx.grant.permissions.has('schema');
      const valid = !mayList ? [] : table !== undefined && view.hasTable(table) ? view.columns(table) : view.tables();
      throw toTrpcError(new GatewayError('NOT_FOUND', error.message, { ...error.details, valid }, error.cause));
    }
    return filterScopedOutput(method, data, view, input) as R;
  };
}

/**
 * The procedure builder of one data method, with its registry metadata, input and output; its `query` and
 * `mutation` wrap the resolver in the scope guard ({@link scopedResolver}), once for every entry point.
 * Bulk record inputs are checked by a compiled fast path first (`withFastInput`); zod still gives every
 * error message.
 */
export function dataMethod<D extends MethodDefinition>(def: D) {
  const builder = documentProcedure
    .meta({ method: def.name, permission: def.permission, ...(def.alsoRequires ? { alsoRequires: def.alsoRequires } : {}) })
    .input(withFastInput(def.name, def.input as D['input']))
    .output(withFastOutput(def.name, def.output as D['output']));
  type Resolver = (opts: ScopedCall) => unknown;
  const wrapped = {
    query(resolver: Resolver) {
      return (builder.query as (r: Resolver) => unknown)(scopedResolver(def.name, resolver));
    },
    mutation(resolver: Resolver) {
      return (builder.mutation as (r: Resolver) => unknown)(scopedResolver(def.name, resolver));
    },
  };
  // The builder itself for everything else (and for the types: the resolver's own types are unchanged).
  return Object.assign(Object.create(builder) as typeof builder, wrapped as unknown as Pick<typeof builder, 'query' | 'mutation'>);
}

/** The procedure builder of one agent-level method. */
export function agentMethod<D extends MethodDefinition>(def: D) {
  return agentProcedure
    .meta({ method: def.name, permission: def.permission })
    .input(def.input as D['input'])
    .output(def.output as D['output']);
}
