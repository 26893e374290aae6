/** Shared setup of the fault tests: REST API on loopback, a fault proxy in front, helpers. */
import { expect } from 'vitest';
import { GristError } from '../../src/backend/errors.js';
import type { GristHttpBackend, GristHttpBackendOptions } from '../../src/backends/http/index.js';
import { startTestRestApi, TEST_API_KEY, type TestRestApi } from '../conformance/rest-api.js';
import { caughtGristError } from '../conformance/suite.js';
import { startFaultProxy, type FaultProxy, type SeenRequest } from './fault-proxy.js';

/** The REST API, a proxy in front of it, a direct backend (for checking) and a proxied one (under test). */
export interface FaultRig {
  api: TestRestApi;
  proxy: FaultProxy;
  /** Talks to the REST API directly: to set up and to check the table afterwards. */
  direct: GristHttpBackend;
  /** A backend through the proxy (fast retries so tests stay quick). */
  through(options?: Partial<GristHttpBackendOptions>): GristHttpBackend;
  /** Requests the proxy saw whose path ends with `suffix` (and method, when given). */
  seen(suffix: string, method?: string): SeenRequest[];
  close(): Promise<void>;
}

/** Starts a {@link FaultRig}. */
export async function startFaultRig(): Promise<FaultRig> {
  const api = await startTestRestApi();
  const proxy = await startFaultProxy(api.url);
  return {
    api,
    proxy,
    direct: api.backend(),
    through: (options = {}) => api.backend({ url: proxy.url, retryBaseDelayMs: 1, ...options }),
    seen: (suffix, method) => proxy.requests.filter((r) => r.path.endsWith(suffix) && (method === undefined || r.method === method)),
    async close() {
      await proxy.close();
      await api.close();
    },
  };
}

/** Awaits a failure and returns it as a GristError; checks the API key appears nowhere in it. */
export async function failure(promise: Promise<unknown>): Promise<GristError> {
  const err = await caughtGristError(promise);
  const everything = `${err.message} ${err.stack ?? ''} ${JSON.stringify(err)} ${JSON.stringify(err.details ?? {})} ${JSON.stringify(err.extra ?? {})}`;
  expect(everything).not.toContain(TEST_API_KEY);
  return err;
}
