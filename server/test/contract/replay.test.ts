/**
 * Contract replay: every recorded Grist request (`server/test/contract/recorded/fixtures`) is sent, in
 * order, to the embedded engine's Grist-compatible REST API over real HTTP on loopback, one brand-new
 * document per fixture, and the answer is compared with the recorded one (status, kept headers, body),
 * then the final state. Skips and expected differences live in `differences.ts`. A concise summary of
 * every failing step is printed at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDocRegistry } from '../../src/grist-api/registry.js';
import { startGristApiServer, type GristApiServer } from '../../src/grist-api/serve.js';
import { allDiffPaths, applyPlaceholders, diffLines, jsonEqual, mask, normaliseActual, parsePath, rewriteStrings, sortListsAt } from './compare.js';
import { EXPECTED_DIFFERENCES, FEATURE_SKIPS, TEXT_RULES, type ExpectedDifference } from './differences.js';
import { buildRequest, loadFixtures, type Fixture } from './fixtures.js';
import { send } from './http.js';
import { pythonLoadMs } from '../../src/engine/formulas/runtime.js';

// Formulas load Python once per process (seconds on a busy machine): not inside a test's time limit.
beforeAll(async () => { await pythonLoadMs(); }, 180_000);

const API_KEY = 'replay-test-key-0123456789abcdef0123456789';

/** `CONTRACT_DUMP=<file>` writes every differing path of every step there (to draft differences.ts). */
const DUMP = process.env['CONTRACT_DUMP'];
const dumped: { fixture: string; step: string; paths: string[] }[] = [];

/** Failing steps, for the summary. */
const failures: string[] = [];

/** The differences that were used (to report entries naming no existing step). */
const usedDifferences = new Set<ExpectedDifference>();

/**
 * Compares an answer with the recorded one, masking the listed differences. Returns the problem lines
 * (empty when it matches).
 */
function compare(fixture: string, step: string, expectedRaw: unknown, actualRaw: unknown, docId: string): string[] {
  const expected = rewriteStrings(expectedRaw, TEXT_RULES);
  const actual = applyPlaceholders(expected, rewriteStrings(normaliseActual(actualRaw, docId), TEXT_RULES));
  if (DUMP) dumped.push({ fixture, step, paths: allDiffPaths(expected, actual) });
  const diffs = EXPECTED_DIFFERENCES.filter((d) => d.fixture === fixture && d.step === step);
  diffs.forEach((d) => usedDifferences.add(d));
  if (diffs.length === 0) return diffLines(expected, actual);
  let e = expected;
  let a = actual;
  for (const d of diffs) {
    for (const p of d.unordered ?? []) {
      e = sortListsAt(e, parsePath(p));
      a = sortListsAt(a, parsePath(p));
    }
    for (const p of d.paths) {
      e = mask(e, parsePath(p));
      a = mask(a, parsePath(p));
    }
  }
  const problems = diffLines(e, a);
  if (problems.length === 0 && jsonEqual(expected, actual)) {
    problems.push(`listed expected difference no longer differs (remove it from differences.ts): ${diffs.map((d) => d.reason).join('; ')}`);
  }
  return problems;
}

function record(fixture: string, step: string, problems: string[]): void {
  if (problems.length === 0) return;
  failures.push(`${fixture} ${step}: ${problems[0]}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`);
}

const fixtures = loadFixtures();

for (const fixture of fixtures) {
  describe(`contract ${fixture.name}`, () => {
    let dir: string;
    let registry: EmbeddedDocRegistry;
    let server: GristApiServer;
    let docId: string;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-contract-'));
      registry = new EmbeddedDocRegistry({ dataDir: dir });
      server = await startGristApiServer({ port: 0, apiKey: API_KEY, docs: registry });
      const created = await send(server.url, {
        method: 'POST',
        path: '/api/workspaces/1/docs',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ name: fixture.name })),
      });
      expect(created.status).toBe(200);
      expect(typeof created.body).toBe('string');
      docId = created.body as string;
      expect(docId).toMatch(/^[A-Za-z0-9]{22}$/);
    });

    afterAll(async () => {
      await server?.close();
      await registry?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    for (const step of fixture.steps) {
      const skip = FEATURE_SKIPS.find((s) => s.matches(step, fixture.name));
      if (skip) {
        it.skip(`${step.name} (skipped: ${skip.feature})`, () => undefined);
        continue;
      }
      it(step.name, async () => {
        const answer = await send(server.url, buildRequest(step.request, docId, API_KEY));
        const expected = { status: step.response.status, headers: step.response.headers ?? {}, body: step.response.body };
        const actual = { status: answer.status, headers: answer.headers, body: answer.body };
        const problems = compare(fixture.name, step.name, expected, actual, docId);
        record(fixture.name, step.name, problems);
        expect(problems, `${fixture.name} ${step.name} ${step.request.method} ${step.request.url}`).toEqual([]);
      });
    }

    it('final_state', async () => {
      const actual = await readFinalState(server.url, docId, fixture);
      // The fixture's own `normalised` note is not part of the state.
      const { normalised: _note, ...expected } = fixture.final_state as typeof fixture.final_state & { normalised?: unknown };
      const problems = compare(fixture.name, 'final_state', expected, actual, docId);
      record(fixture.name, 'final_state', problems);
      expect(problems).toEqual([]);
    });
  });
}

/** Reads the document's state the way the capture tool did. */
async function readFinalState(baseUrl: string, docId: string, fixture: Fixture): Promise<unknown> {
  const get = async (p: string): Promise<unknown> =>
    (await send(baseUrl, { method: 'GET', path: `/api/docs/${docId}${p}`, headers: { authorization: `Bearer ${API_KEY}` } })).body;
  const tables = await get('/tables');
  const tableIds = new Set(Object.keys(fixture.final_state.columns));
  const listed = (tables as { tables?: { id: string }[] }).tables ?? [];
  for (const t of listed) tableIds.add(t.id);
  const columns: Record<string, unknown> = {};
  const records: Record<string, unknown> = {};
  for (const id of tableIds) {
    columns[id] = await get(`/tables/${encodeURIComponent(id)}/columns?hidden=true`);
    records[id] = await get(`/tables/${encodeURIComponent(id)}/records?hidden=true`);
  }
  return { tables, columns, records };
}

describe('contract differences list', () => {
  it('names only existing fixtures and steps', () => {
    const known = new Set(fixtures.flatMap((f) => [...f.steps.map((s) => `${f.name}/${s.name}`), `${f.name}/final_state`]));
    const unknown = EXPECTED_DIFFERENCES.filter((d) => !known.has(`${d.fixture}/${d.step}`)).map((d) => `${d.fixture}/${d.step}`);
    expect(unknown).toEqual([]);
    expect(EXPECTED_DIFFERENCES.every((d) => d.paths.length + (d.unordered?.length ?? 0) > 0 && d.reason.length > 0)).toBe(true);
  });
});

afterAll(() => {
  if (DUMP) fs.writeFileSync(DUMP, JSON.stringify(dumped.filter((d) => d.paths.length > 0), null, 1));
  if (failures.length > 0) {
    console.log(`\ncontract replay: ${failures.length} failing step(s)\n  ${failures.join('\n  ')}\n`);
  }
});
