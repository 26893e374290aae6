/**
 * Randomized scope test: many agents with table/column scopes chosen at random, each trying every method
 * with random tables and columns (visible, hidden or non-existent) through MCP, the JSON proxy and the
 * typed tRPC client (the latter with a randomly narrowed session token). It asserts that nothing outside
 * the scope is ever returned or named (except what the caller itself sent), that refusals happen exactly
 * where the scope says, and that no cell outside the scope is ever changed. It runs on an embedded document
 * and on a Grist-server document (the HTTP backend against the embedded REST API on loopback).
 *
 * Reproduce a failure with the seed it prints: `SCOPE_FUZZ_SEED=<seed> npx vitest run server/test/scopes-fuzz.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRestApi, TEST_API_KEY, type TestRestApi } from './conformance/rest-api.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { mcpCaller, proxyCaller, trpcCaller, type Caller, type CallOutcome } from './helpers/entry-points.js';
import { seededRandom } from './helpers/random.js';

const SEED = Number(process.env.SCOPE_FUZZ_SEED ?? Date.now() % 1_000_000_007);
const AGENTS = 8;
const CALLS_PER_ENTRY = 24;

const prng = seededRandom;
const random = prng(SEED);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const subset = <T>(list: readonly T[], min = 1): T[] => {
  const chosen = list.filter(() => random() < 0.5);
  while (chosen.length < min) {
    const extra = pick(list.filter((x) => !chosen.includes(x)));
    chosen.push(extra);
  }
  return list.filter((x) => chosen.includes(x));
};

/** The document: distinctive names (none contains another), Text cells holding unique markers. */
const SCHEMA: Record<string, { id: string; type: string }[]> = {
  Tk_Amber: [{ id: 'Ca_ruby', type: 'Text' }, { id: 'Ca_jade', type: 'Text' }, { id: 'Ca_onyx', type: 'Text' }, { id: 'Ca_link', type: 'Ref:Tk_Birch' }],
  Tk_Birch: [{ id: 'Cb_opal', type: 'Text' }, { id: 'Cb_zinc', type: 'Text' }, { id: 'Cb_mica', type: 'Text' }],
  Tk_Cedar: [{ id: 'Cc_iron', type: 'Text' }, { id: 'Cc_gold', type: 'Text' }],
};
const TABLES = Object.keys(SCHEMA);
const columnsOf = (table: string): string[] => (SCHEMA[table] ?? []).map((c) => c.id);
const ALL_NAMES = [...TABLES, ...TABLES.flatMap(columnsOf)];

let markerCount = 0;
const marker = (): string => `mk${(++markerCount).toString(36)}x${Math.floor(random() * 1e9).toString(36)}`;

type Scope = Record<string, '*' | string[]>;

/** The oracle: what a token limited by `layers` sees, computed independently of the gateway. */
function oracle(layers: Scope[]) {
  const tableVisible = (t: string) => TABLES.includes(t) && layers.every((l) => l[t] !== undefined);
  const columnVisible = (t: string, c: string) =>
    tableVisible(t) &&
    columnsOf(t).includes(c) &&
    layers.every((l) => {
      const g = l[t]!;
      if (g !== '*') return g.includes(c);
      const type = SCHEMA[t]!.find((x) => x.id === c)!.type;
      const target = /^Ref:(.+)$/.exec(type)?.[1];
      return target === undefined || l[target] !== undefined;
    });
  const whole = (t: string) => tableVisible(t) && layers.every((l) => l[t] === '*');
  const hiddenNames = ALL_NAMES.filter((n) => (TABLES.includes(n) ? !tableVisible(n) : !TABLES.some((t) => columnVisible(t, n))));
  return { tableVisible, columnVisible, whole, hiddenNames };
}

function randomScope(): Scope {
  const scope: Scope = {};
  for (const t of subset(TABLES)) scope[t] = random() < 0.4 ? '*' : subset(columnsOf(t));
  return scope;
}

function narrower(scope: Scope): Scope {
  const out: Scope = {};
  for (const t of subset(Object.keys(scope))) {
    const g = scope[t]!;
    out[t] = g === '*' && random() < 0.5 ? '*' : subset(g === '*' ? columnsOf(t) : g);
  }
  return out;
}

const agents = Array.from({ length: AGENTS }, (_, i) => ({ name: `fuzz-${i}`, token: `gga_fuzz_token_${i}_0123456789abcdef`, scope: randomScope() }));
const ADMIN = 'gga_fuzz_admin_token_0123456789abcdef';

/** The config with `fuzz` either embedded or on a Grist server (the embedded REST API on loopback). */
const config = (fuzz: string) => `documents:
  fuzz: ${fuzz}
tokens:
  - token: ${ADMIN}
    name: admin
    scope: [{document: fuzz, permissions: [read, write, schema]}]
${agents.map((a) => `  - token: ${a.token}
    name: ${a.name}
    scope: [{document: fuzz, permissions: [read, write, schema], tables: ${JSON.stringify(a.scope)}}]`).join('\n')}
`;

let gw: TestGateway;
let admin: Caller;
let rest: TestRestApi | undefined;
/** Every marker put in a cell: marker -> [table, column]. */
const cellOf = new Map<string, [string, string]>();

/** Starts the gateway over a fresh document of the given kind and fills it as the admin. */
async function setUp(kind: 'embedded' | 'http'): Promise<void> {
  if (kind === 'http') {
    rest = await startTestRestApi();
    gw = await startTestGateway({}, config(`{url: "${rest.url}", doc_id: ${rest.docId}, api_key: ${TEST_API_KEY}}`));
  } else {
    gw = await startTestGateway({}, config('{engine: embedded, path: ./data/fuzz.grist}'));
  }
  const res = await gw.proxy(ADMIN, { method: 'request_session_token', document: 'fuzz', permissions: ['read', 'write', 'schema'] });
  admin = proxyCaller(gw, res.body.data.token);
  for (const [table, columns] of Object.entries(SCHEMA)) {
    const created = await admin('create_table', { table_id: table, columns });
    expect(created.ok, created.text).toBe(true);
  }
  for (const table of ['Tk_Birch', 'Tk_Cedar', 'Tk_Amber']) {
    const records = [1, 2, 3].map(() => {
      const fields: Record<string, unknown> = {};
      for (const c of SCHEMA[table]!) {
        if (c.type === 'Text') {
          const m = marker();
          fields[c.id] = m;
          cellOf.set(m, [table, c.id]);
        } else {
          fields[c.id] = 1 + Math.floor(random() * 3);
        }
      }
      return fields;
    });
    const added = await admin('add_records', { table, records });
    expect(added.ok, added.text).toBe(true);
  }
}


/** Every cell of the document, as the admin sees it: table -> row id -> column -> value. */
async function snapshot(): Promise<Map<string, Map<number, Record<string, unknown>>>> {
  const out = new Map<string, Map<number, Record<string, unknown>>>();
  for (const table of TABLES) {
    const res = await admin('get_records', { table });
    out.set(table, new Map((res.data.records as Record<string, unknown>[]).map((r) => [r.id as number, r])));
  }
  return out;
}

/** A random call: method and input, with tables and columns that may be visible, hidden or missing. */
function randomCall(rowIds: Map<string, number[]>, prefer: Scope): { method: string; input: Record<string, unknown> } {
  // Mostly names the token holds (so that many calls succeed), else anything, or names that do not exist.
  const own = random() < 0.6;
  const table = own ? pick(Object.keys(prefer)) : random() < 0.9 ? pick(TABLES) : 'Tk_Nope';
  const cols = [...columnsOf(table), 'Cz_nope'];
  const held = prefer[table];
  const col = own && held !== undefined && held !== '*' && random() < 0.7 ? pick(held) : pick(cols.filter((c) => !c.endsWith('link')));
  const value = (c: string) => {
    if (c.endsWith('link')) return 1;
    const m = marker();
    if (columnsOf(table).includes(c)) cellOf.set(m, [table, c]);
    return m;
  };
  const fields = () => Object.fromEntries(subset(cols).map((c) => [c, value(c)]));
  const existing = [...cellOf].filter(([, [t, c]]) => t === table && c === col).map(([m]) => m);
  const id = pick(rowIds.get(table) ?? [1]);
  switch (pick(['list_tables', 'describe_table', 'get', 'get_filter', 'get_sort', 'add', 'update', 'upsert', 'delete', 'sql', 'sql_star', 'sql_count', 'add_column', 'modify_column', 'delete_column', 'rename_table', 'delete_table', 'create_table'])) {
    case 'list_tables': return { method: 'list_tables', input: {} };
    case 'describe_table': return { method: 'describe_table', input: { table } };
    case 'get': return { method: 'get_records', input: { table } };
    case 'get_filter': return { method: 'get_records', input: { table, filter: { [col]: existing.length ? pick(existing) : 'zz' } } };
    case 'get_sort': return { method: 'get_records', input: { table, sort: random() < 0.5 ? `-${col}` : [col], limit: 2 } };
    case 'add': return { method: 'add_records', input: { table, records: [fields()] } };
    case 'update': return { method: 'update_records', input: { table, records: [{ id, fields: fields() }] } };
    case 'upsert': return { method: 'add_or_update_records', input: { table, records: [{ require: { [col]: existing.length ? pick(existing) : 'zz' }, fields: fields() }] } };
    case 'delete': return { method: 'delete_records', input: { table, record_ids: [100_000 + id] } };
    case 'sql': return { method: 'sql_query', input: { query: `SELECT ${col} FROM ${table}` } };
    case 'sql_star': return { method: 'sql_query', input: { query: `SELECT * FROM ${table} WHERE id > 0` } };
    case 'sql_count': return { method: 'sql_query', input: { query: `SELECT count(*) AS n FROM (SELECT id FROM ${table})` } };
    case 'add_column': return { method: 'add_column', input: { table, column_id: `Cn_new${markerCount}`, column_type: 'Text' } };
    case 'modify_column': return { method: 'modify_column', input: { table, column_id: col, type: 'Text' } };
    // Destructive methods only on names the scope must refuse (a hidden or missing column, a non-whole table).
    case 'delete_column': return { method: 'delete_column', input: { table, column_id: `${col}_gone` } };
    case 'rename_table': return { method: 'rename_table', input: { table, new_table_id: table } };
    case 'delete_table': return { method: 'delete_table', input: { table: `${table}_gone` } };
    default: return { method: 'create_table', input: { table_id: 'Tk_Made', columns: [{ id: 'A', type: 'Text' }] } };
  }
}

/** Checks one outcome against the oracle of the token's layers. */
function check(layers: Scope[], method: string, input: Record<string, unknown>, outcome: CallOutcome, where: string): void {
  const o = oracle(layers);
  const sent = JSON.stringify(input);
  const label = `${where} seed=${SEED} ${method} ${sent} -> ${outcome.text.slice(0, 400)}`;
  // (a) nothing hidden is named, unless the caller named it.
  for (const name of o.hiddenNames) {
    if (sent.includes(name)) continue;
    expect(outcome.text.includes(name), `${label}: names hidden ${name}`).toBe(false);
  }
  // (b) no hidden cell value is returned, unless the caller sent it.
  for (const m of outcome.text.match(/mk[0-9a-z]+x[0-9a-z]+/g) ?? []) {
    const cell = cellOf.get(m);
    if (!cell || sent.includes(m)) continue;
    expect(o.columnVisible(cell[0], cell[1]), `${label}: returns ${m} of hidden ${cell.join('.')}`).toBe(true);
  }
  // (c) refusals exactly where the scope says.
  const table = input.table as string | undefined;
  const namedColumns = (obj: unknown) => (obj && typeof obj === 'object' ? Object.keys(obj) : []);
  const allVisible = (cols: string[]) => table !== undefined && cols.every((c) => o.columnVisible(table, c));
  switch (method) {
    case 'list_tables':
      expect(outcome.ok, label).toBe(true);
      expect(outcome.data.tables, label).toEqual(TABLES.filter(o.tableVisible).sort((a, b) => TABLES.indexOf(a) - TABLES.indexOf(b)));
      break;
    case 'describe_table':
      expect(outcome.ok, label).toBe(o.tableVisible(table!));
      if (outcome.ok) expect(outcome.data.columns.map((c: { id: string }) => c.id), label).toEqual(columnsOf(table!).filter((c) => o.columnVisible(table!, c)));
      break;
    case 'get_records': {
      const cols = [...namedColumns(input.filter), ...(input.sort === undefined ? [] : [String(Array.isArray(input.sort) ? input.sort[0] : input.sort).replace(/^-/, '')])];
      expect(outcome.ok, label).toBe(o.tableVisible(table!) && allVisible(cols));
      if (outcome.ok) {
        for (const r of outcome.data.records) {
          expect(Object.keys(r).filter((k) => k !== 'id').every((k) => o.columnVisible(table!, k)), label).toBe(true);
        }
      }
      break;
    }
    case 'add_records':
    case 'update_records':
    case 'add_or_update_records': {
      const records = input.records as Record<string, unknown>[];
      const cols = method === 'add_records' ? records.flatMap(namedColumns) : records.flatMap((r) => [...namedColumns(r.fields), ...namedColumns(r.require)]);
      if (!o.tableVisible(table!) || !allVisible(cols)) expect(outcome.ok, label).toBe(false);
      if (!o.tableVisible(table!) || !allVisible(cols)) expect(outcome.code, label).toMatch(/UNAUTHORIZED|NO_TOOL/);
      break;
    }
    case 'delete_records':
    case 'rename_table':
    case 'add_column':
      if (!o.whole(table!)) expect(outcome.code, label).toMatch(/UNAUTHORIZED|NO_TOOL/);
      else expect(outcome.ok || outcome.code === 'NOT_FOUND' || outcome.code === 'GRIST_ERROR' || outcome.code === 'INVALID_REQUEST', label).toBe(true);
      break;
    case 'modify_column':
    case 'delete_column':
    case 'delete_table':
      if (!(o.whole(table!) && o.columnVisible(table!, input.column_id as string))) expect(outcome.ok, label).toBe(false);
      break;
    case 'create_table':
      expect(outcome.code, label).toMatch(/UNAUTHORIZED|NO_TOOL/);
      break;
    case 'sql_query': {
      // The generated statements read: one column, every column (*), or only row ids of one table.
      const query = input.query as string;
      const what = /^SELECT (\S+)/.exec(query)![1]!;
      const from = /FROM (?:\(SELECT id FROM )?(\w+)/.exec(query)![1]!;
      const readsHidden =
        !o.tableVisible(from) ||
        (what === '*' && !columnsOf(from).every((c) => o.columnVisible(from, c))) ||
        (what !== '*' && what !== 'count(*)' && !o.columnVisible(from, what));
      if (readsHidden) expect(outcome.ok, label).toBe(false);
      break;
    }
  }
}

for (const kind of ['embedded', 'http'] as const) describe(`randomized scopes on a ${kind} document (seed ${SEED})`, () => {
  beforeAll(() => setUp(kind));
  afterAll(async () => {
    await gw?.close();
    await rest?.close();
    rest = undefined;
  });

  it('never returns, names or changes anything outside the scope, on any entry point', async () => {
    let calls = 0;
    let succeeded = 0;
    for (const agent of agents) {
      const before = await snapshot();
      const rowIds = new Map([...before].map(([t, rows]) => [t, [...rows.keys()]]));
      const narrowed = narrower(agent.scope);
      const own = await gw.proxy(agent.token, { method: 'request_session_token', document: 'fuzz', permissions: ['read', 'write', 'schema'] });
      const narrow = await gw.proxy(agent.token, { method: 'request_session_token', document: 'fuzz', permissions: ['read', 'write', 'schema'], tables: narrowed });
      expect(narrow.status, JSON.stringify(narrow.body)).toBe(200);
      // A wider request is always refused.
      const wider = await gw.proxy(agent.token, { method: 'request_session_token', document: 'fuzz', permissions: ['read'], tables: Object.fromEntries(TABLES.map((t) => [t, '*'])) });
      const agentWhole = TABLES.every((t) => agent.scope[t] === '*');
      expect(wider.status === 200, `seed=${SEED} ${agent.name} widened`).toBe(agentWhole);
      const entries: [string, Caller, Scope[]][] = [
        ['mcp', await mcpCaller(gw, agent.token, 'fuzz'), [agent.scope]],
        ['proxy', proxyCaller(gw, own.body.data.token), [agent.scope]],
        ['trpc', trpcCaller(gw, narrow.body.data.token), [agent.scope, narrowed]],
      ];
      for (const [entry, call, layers] of entries) {
        for (let k = 0; k < CALLS_PER_ENTRY; k++) {
          const { method, input } = randomCall(rowIds, layers.at(-1)!);
          const outcome = await call(method, input);
          calls++;
          if (outcome.ok) succeeded++;
          check(layers, method, input, outcome, `${agent.name} ${JSON.stringify(agent.scope)} via ${entry} ${JSON.stringify(layers)}`);
          if (method === 'add_column' && outcome.ok) await call('delete_column', { table: input.table, column_id: outcome.data.column_id });
        }
        await call.close();
      }
      // (d) no cell outside the agent's own scope changed, and no pre-existing row of it disappeared.
      const after = await snapshot();
      const o = oracle([agent.scope]);
      for (const [table, rows] of before) {
        for (const [id, row] of rows) {
          const now = after.get(table)!.get(id);
          if (!o.whole(table)) expect(now, `seed=${SEED} ${agent.name}: row ${table}#${id} deleted`).toBeDefined();
          for (const column of columnsOf(table)) {
            if (o.columnVisible(table, column) || now === undefined) continue;
            expect(now[column], `seed=${SEED} ${agent.name}: hidden cell ${table}.${column}#${id} changed`).toEqual(row[column]);
          }
        }
        if (!o.tableVisible(table)) expect(after.get(table)!.size, `seed=${SEED} ${agent.name}: rows added to hidden ${table}`).toBe(rows.size);
      }
    }
    expect(calls).toBe(AGENTS * 3 * CALLS_PER_ENTRY);
    // Not a vacuous run: both allowed and refused calls happened in numbers.
    expect(succeeded, `seed=${SEED}`).toBeGreaterThan(calls / 10);
    expect(calls - succeeded, `seed=${SEED}`).toBeGreaterThan(calls / 10);
  }, 240_000);
});
