/** The conformance suite on the embedded engine, called directly (no HTTP). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedDocument } from '../../src/engine/index.js';
import { backendConformance } from './suite.js';

backendConformance('embedded engine', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-conf-embedded-'));
  const backend = EmbeddedDocument.create(path.join(dir, 'doc.grist'));
  return {
    backend,
    async cleanup() {
      await backend.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
