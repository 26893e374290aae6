/**
 * The conformance suite on the HTTP backend, against the embedded engine's Grist-compatible REST API on
 * loopback. A small chunk size makes the 1,200-row writes of the suite go out as several requests.
 */
import { backendConformance } from './suite.js';
import { startTestRestApi } from './rest-api.js';

backendConformance('HTTP backend -> embedded REST API', async () => {
  const api = await startTestRestApi();
  const backend = api.backend({ chunkSize: 500, pageSize: 2000 });
  return {
    backend,
    async cleanup() {
      await api.close();
    },
  };
});
