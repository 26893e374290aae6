/**
 * WAL checkpoints run in a worker thread, not inside the commit: the document's connection has SQLite's
 * automatic checkpoint off, and after a write that grew the WAL past the threshold the worker copies it
 * into the database file. Real embedded document on a real SQLite file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDocument } from './document.js';

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpoint-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('WAL checkpoints off the event loop', () => {
  it('a write past the threshold is checkpointed by the worker; close leaves no WAL behind', async () => {
    const file = path.join(dir, 'doc.grist');
    const doc = EmbeddedDocument.create(file);
    expect(doc.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await doc.createTables([{ id: 'T', columns: [{ id: 'Text', fields: { type: 'Text' } }] }]);
    const before = fs.statSync(file).size;
    await doc.addRecords('T', Array.from({ length: 400 }, (_, i) => ({ fields: { Text: `${i} `.padEnd(20_000, 'x') } })));
    // The commit itself copied nothing into the database file (8 MB are in the WAL) ...
    const walAfterCommit = fs.statSync(`${file}-wal`).size;
    expect(walAfterCommit).toBeGreaterThan(4 * 1024 * 1024);
    // ... the worker does, shortly after.
    const deadline = Date.now() + 10_000;
    while (fs.statSync(file).size < before + 7 * 1024 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(fs.statSync(file).size).toBeGreaterThan(before + 7 * 1024 * 1024);
    expect((await doc.getRecords('T', { limit: 1 }))[0]?.fields.Text).toMatch(/^0 x/);
    await doc.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const reopened = EmbeddedDocument.open(file);
    expect((await reopened.getRecords('T')).length).toBe(400);
    await reopened.close();
  });
});
