/**
 * The conformance suite against a real Grist server, when one is configured:
 *
 *   GRIST_URL=https://grist.example.com GRIST_API_KEY=... GRIST_WORKSPACE_ID=42 npm run test:grist
 *
 * It creates a new document in that workspace, runs the suite on it through the HTTP backend and deletes
 * the document afterwards. Without `GRIST_URL` and `GRIST_API_KEY` the suite is skipped with a note.
 */
import { describe, it } from 'vitest';
import { GristHttpBackend } from '../../src/backends/http/index.js';
import { backendConformance } from './suite.js';

const url = process.env['GRIST_URL'];
const apiKey = process.env['GRIST_API_KEY'];
const workspaceId = process.env['GRIST_WORKSPACE_ID'];

/** Calls the Grist API outside a document (create/delete documents). The key never appears in errors. */
async function gristApi(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${(url ?? '').replace(/\/+$/, '')}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey ?? ''}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

if (url && apiKey) {
  backendConformance(`HTTP backend -> real Grist at ${url}`, async () => {
    let wid = workspaceId;
    if (!wid) {
      // No workspace given: use the first workspace of the first org the key can see.
      const orgs = (await gristApi('GET', '/api/orgs')) as { id: number }[];
      const org = orgs[0];
      if (!org) throw new Error('GRIST_WORKSPACE_ID is not set and the API key sees no org');
      const workspaces = (await gristApi('GET', `/api/orgs/${org.id}/workspaces`)) as { id: number }[];
      if (!workspaces[0]) throw new Error('GRIST_WORKSPACE_ID is not set and the first org has no workspace');
      wid = String(workspaces[0].id);
    }
    const docId = (await gristApi('POST', `/api/workspaces/${wid}/docs`, { name: `grist-gateway conformance ${new Date().toISOString()}` })) as string;
    const backend = new GristHttpBackend({ url, docId, apiKey });
    return {
      backend,
      async cleanup() {
        await backend.close();
        await gristApi('DELETE', `/api/docs/${encodeURIComponent(docId)}`);
      },
    };
  });
} else {
  describe.skip('DocBackend conformance: real Grist (set GRIST_URL and GRIST_API_KEY, optionally GRIST_WORKSPACE_ID, to run)', () => {
    it('is skipped: no Grist server configured', () => {});
  });
  console.info('[conformance] real-Grist run skipped: set GRIST_URL and GRIST_API_KEY (and GRIST_WORKSPACE_ID) to run it.');
}
