/**
 * The fast input path gives exactly zod's result: for every input it accepts, zod accepts it too and
 * returns an equal value; inputs it declines still get zod's own result or error.
 */
import { describe, expect, it } from 'vitest';
import { fastInputChecks, fastOutputChecks, passesFastInput, withFastInput, withFastOutput } from './fast-input.js';
import { methods } from './registry.js';

const cells: unknown[] = [
  '', 'x', 0, -1.5, 1e300, true, false, null, ['L'], ['L', 1, 'a'], ['d', 1], [], [1], {}, { a: 1 }, Number.NaN, Number.POSITIVE_INFINITY, undefined,
  ['O', { a: 1, b: ['x', { c: null }] }], ['O', JSON.parse('{"a": {"__proto__": 1}}') as unknown], ['L', ['x', JSON.parse('{"__proto__": 1}') as unknown]],
];
const fieldsSamples: unknown[] = [
  {}, { A: 'x' }, ...cells.map((c) => ({ A: c })), JSON.parse('{"__proto__": 1}') as unknown, [], null, 'x', Object.create({ inherited: 1 }) as unknown,
];

function inputsFor(name: string): unknown[] {
  const out: unknown[] = [null, [], 'x', {}, { table: '' }, { table: 'T' }, { table: 'T', records: 'x' }];
  for (const f of fieldsSamples) {
    if (name === 'add_records') out.push({ table: 'T', records: [f] }, { table: 'T', document: 'd', records: [{ A: 1 }, f] });
    if (name === 'update_records') {
      out.push({ table: 'T', records: [{ id: 1, fields: f }] });
      for (const id of [0, -1, 1.5, 2 ** 53, '1', 7]) out.push({ table: 'T', records: [{ id, fields: { A: 1 } }] });
      out.push({ table: 'T', records: [{ id: 1, fields: {}, extra: 1 }] });
    }
    if (name === 'add_or_update_records') {
      out.push({ table: 'T', records: [{ require: f }] }, { table: 'T', records: [{ require: { A: 1 }, fields: f }] });
      out.push({ table: 'T', records: [], on_many: 'all', add: false, update: true }, { table: 'T', records: [], on_many: 'some' });
    }
  }
  out.push({ table: 'T', records: [], unknown: 1 }, { table: 'T', records: [], document: '' });
  if (name === 'get_records') {
    for (const limit of [1, 100, 0, -1, 1.5, 2 ** 53, '10', null]) out.push({ table: 'T', limit }, { document: 'd', table: 'T', limit, cursor: 'abc' });
    for (const sort of ['', 'A', '-A,B', ['A', '-B'], [], [''], ['A', 1], 3, null]) out.push({ table: 'T', sort }, { table: 'T', sort, limit: 5 });
    for (const cursor of ['', 'x', 1, null]) out.push({ table: 'T', cursor });
    out.push({ table: 'T', filter: { A: [1] } }, { table: 'T', limit: 5, extra: 1 }, { table: 'T', limit: undefined }, JSON.parse('{"table": "T", "__proto__": {"limit": 1}}') as unknown);
  }
  return out;
}

describe('fast input path', () => {
  for (const name of Object.keys(fastInputChecks)) {
    const schema = methods[name as keyof typeof methods].input;
    const fast = withFastInput(name, schema);
    it(`${name}: accepts only what zod accepts unchanged, and returns zod's result otherwise`, () => {
      let fastHits = 0;
      for (const input of inputsFor(name)) {
        const label = JSON.stringify(input) ?? String(input);
        const reference = schema.safeParse(input);
        if (fastInputChecks[name]?.(input)) {
          fastHits += 1;
          expect(reference.success, label).toBe(true);
          expect(reference.data, label).toEqual(input);
        }
        if (reference.success) expect(fast.parse(input), label).toEqual(reference.data);
        else expect(() => fast.parse(input), label).toThrow();
      }
      expect(fastHits).toBeGreaterThan(3);
    });
  }

  it('never passes an input with a __proto__ key anywhere, list cells included (the key walk relies on it)', () => {
    const nested = (cell: unknown) => ({ table: 'T', records: [{ A: 1 }, { A: cell }] });
    expect(fastInputChecks['add_records']?.(nested(['O', { a: 1, b: ['x', { c: null }] }]))).toBe(true);
    for (const text of ['["O", {"__proto__": 1}]', '["O", {"a": {"__proto__": 1}}]', '["L", ["x", {"__proto__": 1}]]', '["L", 1, [[{"__proto__": 1}]]]']) {
      expect(fastInputChecks['add_records']?.(nested(JSON.parse(text))), text).toBe(false);
      expect(passesFastInput('add_records', nested(JSON.parse(text))), text).toBe(false);
    }
    // Nesting deeper than the fast path looks: declined (zod and the key walk decide).
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(fastInputChecks['add_records']?.(nested(['L', deep]))).toBe(false);
  });

  it('passesFastInput: a pass is taken once by the same call\'s parse; a failed re-check drops it', () => {
    const schema = methods.add_records.input;
    const fast = withFastInput('add_records', schema);
    const input = { table: 'T', records: [{ A: 1 }] };
    expect(passesFastInput('add_records', input)).toBe(true);
    expect(passesFastInput('get_records', input)).toBe(false);
    // The object changed after its pass: the next call's own check fails and forgets the pass, so its
    // parse runs zod (which refuses the object cell) instead of trusting the stale pass.
    (input.records[0] as Record<string, unknown>).A = { not: 'a cell' };
    expect(passesFastInput('add_records', input)).toBe(false);
    expect(() => fast.parse(input)).toThrow();
    // A pass is used once: after its parse, a changed object is checked again.
    const other = { table: 'T', records: [{ A: 1 }] };
    expect(passesFastInput('add_records', other)).toBe(true);
    expect(fast.parse(other)).toBe(other);
    (other.records[0] as Record<string, unknown>).A = { not: 'a cell' };
    expect(() => fast.parse(other)).toThrow();
  });

  it('takes the fast path for a typical 10,000-row x 10-column add', () => {
    const input = { table: 'T', records: Array.from({ length: 10_000 }, (_, i) => Object.fromEntries(Array.from({ length: 10 }, (_, c) => [`C${c}`, c % 2 ? i : `v${i}`]))) };
    expect(fastInputChecks['add_records']?.(input)).toBe(true);
  });
});

/** get_records outputs: typical answers, and every way a record can differ from what zod returns as is. */
function outputs(): unknown[] {
  const out: unknown[] = [null, [], {}, { records: [] }, { next_cursor: null }, { records: [], next_cursor: null }, { records: [], next_cursor: 'c' },
    { next_cursor: null, records: [] }, { records: [], next_cursor: 1 }, { records: [], next_cursor: null, extra: 1 }];
  for (const c of cells) out.push({ records: [{ id: 1, A: c }], next_cursor: null });
  for (const id of [0, -1, 1.5, 2 ** 53, '1', 7]) out.push({ records: [{ id, A: 1 }], next_cursor: null });
  out.push(
    { records: [{ A: 1, id: 2 }], next_cursor: null },
    { records: [{ id: 1, A: null, _errors: { A: 'boom' } }], next_cursor: null },
    { records: [{ id: 1, _errors: { A: 'boom' }, A: null }], next_cursor: null },
    { records: [JSON.parse('{"id": 1, "__proto__": 1}') as unknown], next_cursor: null },
    { records: [Object.assign(Object.create({ inherited: 1 }) as object, { id: 1 })], next_cursor: null },
    { records: [{ id: 1, A: 'x', B: ['L', 1] }, { id: 2, A: 'y', B: null }], next_cursor: 'next' },
  );
  return out;
}

/**
 * Checks the fast output path of `name` against zod on each sample: what it accepts, zod returns
 * unchanged (same JSON, keys in the same order); anything else gets zod's own result or error. Returns
 * how many samples took the fast path.
 */
function fastOutputHits(name: 'get_records' | 'add_records', samples: Iterable<unknown>): number {
  const schema = methods[name].output;
  const fast = withFastOutput(name, schema);
  let fastHits = 0;
  for (const output of samples) {
    const label = JSON.stringify(output) ?? String(output);
    const reference = schema.safeParse(output);
    if (fastOutputChecks[name]?.(output)) {
      fastHits += 1;
      expect(reference.success, label).toBe(true);
      expect(JSON.stringify(reference.data), label).toBe(JSON.stringify(output));
    }
    if (reference.success) expect(JSON.stringify(fast.parse(output)), label).toBe(JSON.stringify(reference.data));
    else expect(() => fast.parse(output), label).toThrow();
  }
  return fastHits;
}

describe('fast output path', () => {
  it('get_records: accepts only what zod returns unchanged (same JSON, keys in the same order), else gives zod\'s result', () => {
    expect(fastOutputHits('get_records', outputs())).toBeGreaterThan(5);
  });

  it('add_records: accepts only what zod returns unchanged, else gives zod\'s result', () => {
    const cases: unknown[] = [
      { record_ids: [] },
      { record_ids: [1, 2, 3] },
      { record_ids: [1, 2.5] },
      { record_ids: [1, Number.MAX_SAFE_INTEGER + 1] },
      { record_ids: [1, '2'] },
      { record_ids: [-1, 0] },
      { record_ids: [1], extra: true },
      { record_ids: 'x' },
      {},
      null,
      [1],
    ];
    expect(fastOutputHits('add_records', cases)).toBe(3);
  });

  it('takes the fast path for a 2,000-record page', () => {
    const page = { records: Array.from({ length: 2000 }, (_, i) => ({ id: i + 1, Name: `n${i}`, N: i, Score: i / 3, Tags: ['L', 'a'] })), next_cursor: 'c' };
    expect(fastOutputChecks['get_records']?.(page)).toBe(true);
  });
});
