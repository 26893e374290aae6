/**
 * Agent-level methods (need the agent's own token): list_documents, request_session_token,
 * revoke_session_token, get_proxy_documentation.
 */
import { buildProxyDocumentation, methods } from '@grist-gateway/shared';
import type { GatewayServices } from '../context.js';
import { scopeFromMapping, scopeToMapping } from '../auth/scopes.js';
import { agentMethod } from '../trpc.js';

/** Path of the JSON proxy under the gateway's base URL. */
export const PROXY_PATH = '/api/v1/proxy';

/**
 * Said instead of a URL when this process does not know where the gateway's HTTP server is (a stdio
 * `mcp` process with no public URL set): a relative path would send scripts nowhere without a word.
 */
export const PROXY_URL_UNKNOWN =
  `unknown: this MCP process does not know the gateway's HTTP address. The proxy is ${PROXY_PATH} on the running ` +
  '`grist-gateway serve` (e.g. http://127.0.0.1:3000' + PROXY_PATH + '); set public_url: in the config, or ' +
  'GRIST_GATEWAY_PUBLIC_URL in this process\'s environment, to have the full URL here';

/** Absolute proxy URL when a public URL is known, else {@link PROXY_URL_UNKNOWN}. */
export function proxyUrl(services: GatewayServices): string {
  return services.publicUrl ? `${services.publicUrl}${PROXY_PATH}` : PROXY_URL_UNKNOWN;
}

/** The agent procedures, keyed by wire name. */
export const sessionsProcedures = {
  list_documents: agentMethod(methods.list_documents).query(({ ctx }) => {
    const configured = new Set(ctx.services.backends.names());
    const documents = [...ctx.agent.scopes.keys()]
      .filter((name) => configured.has(name))
      .map((name) => {
        const tables = ctx.agent.tablesFor(name);
        return { name, permissions: ctx.agent.permissionsFor(name), ...(tables ? { tables: scopeToMapping(tables) } : {}) };
      });
    return { documents };
  }),

  request_session_token: agentMethod(methods.request_session_token).mutation(async ({ ctx, input }) => {
    const minted = await ctx.services.sessions.mint(ctx.agent, {
      document: input.document,
      permissions: input.permissions,
      ttlSeconds: input.ttl_seconds,
      ...(input.tables ? { tables: scopeFromMapping(input.tables) } : {}),
    });
    return {
      token: minted.token,
      document: minted.document,
      permissions: minted.permissions,
      ...(minted.tables ? { tables: scopeToMapping(minted.tables) } : {}),
      expires_at: minted.expiresAt.toISOString(),
      proxy_url: proxyUrl(ctx.services),
    };
  }),

  revoke_session_token: agentMethod(methods.revoke_session_token).mutation(async ({ ctx, input }) => {
    return { revoked: await ctx.services.sessions.revoke(input.token, ctx.agent.name) };
  }),

  get_proxy_documentation: agentMethod(methods.get_proxy_documentation).query(({ ctx }) => {
    // The documentation takes a path when the base URL is unknown (its examples then ask for the URL).
    return buildProxyDocumentation({ proxyUrl: ctx.services.publicUrl ? proxyUrl(ctx.services) : PROXY_PATH });
  }),
};
