/**
 * Agent-level methods (need the agent's own token): list_documents, request_session_token,
 * revoke_session_token, get_proxy_documentation.
 */
import { buildProxyDocumentation, methods } from '@grist-gateway/shared';
import type { GatewayServices } from '../context.js';
import { scopeFromMapping, scopeToMapping } from '../auth/scopes.js';
import { agentMethod } from '../trpc.js';

/** Absolute proxy URL when a public URL is known, else the path. */
export function proxyUrl(services: GatewayServices): string {
  return `${services.publicUrl ?? ''}/api/v1/proxy`;
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

  request_session_token: agentMethod(methods.request_session_token).mutation(({ ctx, input }) => {
    const minted = ctx.services.sessions.mint(ctx.agent, {
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

  revoke_session_token: agentMethod(methods.revoke_session_token).mutation(({ ctx, input }) => {
    return { revoked: ctx.services.sessions.revoke(input.token, ctx.agent.name) };
  }),

  get_proxy_documentation: agentMethod(methods.get_proxy_documentation).query(({ ctx }) => {
    return buildProxyDocumentation({ proxyUrl: proxyUrl(ctx.services) });
  }),
};
