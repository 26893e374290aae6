/**
 * Large adds are written in steps of one transaction (document.ts `writeInSteps`): the result is the
 * one-step write's, a failure anywhere writes nothing, other tables are read while it runs, and reads of
 * its table and other writes wait for it. Real embedded document on a real SQLite file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../limits/index.js';
import { EmbeddedDocument } from './document.js';

let dir: string;
let doc: EmbeddedDocument;
const ROWS = limits.writeStepRows * 3 + 17;
const rows = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ fields: { Name: `${tag}${i}`, N: i } }));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepped-writes-'));
  doc = EmbeddedDocument.create(path.join(dir, 'doc.grist'));
  for (const id of ['Big', 'Small']) {
    await doc.createTables([{ id, columns: [{ id: 'Name', fields: { type: 'Text' } }, { id: 'N', fields: { type: 'Int' } }] }]);
  }
  await doc.addRecords('Small', rows(3, 's'));
});
afterAll(async () => {
  await doc.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('large adds written in steps', () => {
  it('gives the ids and rows of a one-step write; other tables are read meanwhile, its own table after it', async () => {
    const events: string[] = [];
    const adding = doc.addRecords('Big', rows(ROWS, 'b')).then((ids) => {
      events.push('add done');
      return ids;
    });
    const other = doc.getRecords('Small').then((r) => {
      events.push('other table read');
      return r;
    });
    const own = doc.getRecords('Big').then((r) => {
      events.push('own table read');
      return r;
    });
    const ids = await adding;
    expect(ids).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    expect((await other).length).toBe(3);
    // The read of the table being written waited for the whole write: never a part of it.
    expect((await own).length).toBe(ROWS);
    expect(events).toEqual(['other table read', 'add done', 'own table read']);
    const stored = await doc.getRecords('Big', { filter: { id: [1, ROWS] } });
    expect(stored.map((r) => r.fields)).toEqual([{ Name: 'b0', N: 0 }, { Name: `b${ROWS - 1}`, N: ROWS - 1 }]);
  });

  it('writes nothing when a row fails past the first steps, with the error of the one-step write', async () => {
    const before = (await doc.getRecords('Big')).length;
    const bad = rows(ROWS, 'x');
    (bad[ROWS - 5] as { fields: Record<string, unknown> }).fields.N = { not: 'a cell' };
    const stepped = await doc.addRecords('Big', bad).then(() => undefined, (err: unknown) => err);
    const oneStep = await doc.addRecords('Big', bad.slice(ROWS - 10)).then(() => undefined, (err: unknown) => err);
    expect(stepped).toBeInstanceOf(Error);
    expect(String(stepped)).toBe(String(oneStep));
    expect((stepped as { details?: unknown }).details).toEqual((oneStep as { details?: unknown }).details);
    expect((await doc.getRecords('Big')).length).toBe(before);
    // The document still writes normally afterwards.
    expect(await doc.addRecords('Big', rows(1, 'after'))).toEqual([before + 1]);
  });

  it('another write waits for it and comes after it', async () => {
    const adding = doc.addRecords('Big', rows(ROWS, 'c'));
    const small = doc.addRecords('Big', rows(1, 'later'));
    const [many, one] = await Promise.all([adding, small]);
    expect(one[0]).toBe((many.at(-1) as number) + 1);
  });
});
