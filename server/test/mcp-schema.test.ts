/**
 * The compact MCP input schemas accept exactly what the router's zod schemas accept: every sample
 * argument object below gets the same verdict from a real JSON Schema 2020-12 validator (ajv, the one the
 * MCP SDK uses) on the advertised schema as from zod. The one documented exception, empty strings
 * (`minLength: 1` is not advertised), is not among the samples.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { methods, type MethodName } from '@grist-gateway/shared';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compactSchema } from '../src/mcp/schema.js';
import { toolFor } from '../src/mcp/tools.js';

const ajv = new Ajv2020({ strict: false });

/** Argument objects per tool, valid and invalid ones mixed. */
const samples: Partial<Record<MethodName, Record<string, unknown>[]>> = {
  get_records: [
    { document: 'd', table: 'T' },
    { document: 'd', table: 'T', filter: { A: ['x', 1, null, true], B: 'y', C: [['L', 'a']], D: ['L', 'a'] }, sort: '-A,B', limit: 5, cursor: 'c' },
    { document: 'd', table: 'T', sort: ['-A', 'B'] },
    { document: 'd', table: 'T', filter: { A: { x: 1 } } },
    { document: 'd', table: 'T', filter: { A: [{ x: 1 }] } },
    { document: 'd', table: 'T', filter: { A: [[1, 2]] } },
    { document: 'd', table: 'T', filter: { A: [] } },
    { document: 'd', table: 'T', limit: 0 },
    { document: 'd', table: 'T', limit: 2.5 },
    { document: 'd', table: 'T', sort: 5 },
    { document: 'd', table: 'T', sort: [1] },
    { table: 'T' },
    { document: 'd' },
  ],
  sql_query: [
    { document: 'd', query: 'SELECT 1' },
    { document: 'd', query: 'SELECT ?', args: [1, 'a', null, false] },
    { document: 'd', query: 'SELECT 1', args: null },
    { document: 'd', query: 'SELECT ?', args: [[1]] },
    { document: 'd', query: 'SELECT ?', args: [{}] },
    { document: 'd', query: 5 },
  ],
  add_records: [
    { document: 'd', table: 'T', records: [{ A: 'x', B: 2, C: null, D: true, E: ['L', 1, 2], F: ['d', 1705276800] }] },
    { document: 'd', table: 'T', records: [] },
    { document: 'd', table: 'T', records: [{ A: [1, 2] }] },
    { document: 'd', table: 'T', records: [{ A: [] }] },
    { document: 'd', table: 'T', records: [{ A: { x: 1 } }] },
    { document: 'd', table: 'T', records: { A: 1 } },
    { document: 'd', table: 'T', records: ['x'] },
  ],
  update_records: [
    { document: 'd', table: 'T', records: [{ id: 1, fields: { A: 'x' } }] },
    { document: 'd', table: 'T', records: [{ id: 0, fields: {} }] },
    { document: 'd', table: 'T', records: [{ id: 1.5, fields: {} }] },
    { document: 'd', table: 'T', records: [{ id: 1 }] },
    { document: 'd', table: 'T', records: [{ id: 1, fields: 'x' }] },
  ],
  delete_records: [
    { document: 'd', table: 'T', record_ids: [1, 2] },
    { document: 'd', table: 'T', record_ids: [0] },
    { document: 'd', table: 'T', record_ids: ['1'] },
  ],
  add_or_update_records: [
    { document: 'd', table: 'T', records: [{ require: { E: 'a' }, fields: { N: 'b' } }], on_many: 'all', add: false, update: true },
    { document: 'd', table: 'T', records: [{ require: { E: 'a' } }] },
    { document: 'd', table: 'T', records: [{ fields: { N: 'b' } }] },
    { document: 'd', table: 'T', records: [], on_many: 'some' },
    { document: 'd', table: 'T', records: [], add: 'yes' },
  ],
  create_table: [
    { document: 'd', table_id: 'T', columns: [{ id: 'A', type: 'Text', label: null, formula: '$B' }] },
    { document: 'd', table_id: 'T', columns: [] },
    { document: 'd', table_id: 'T', columns: [{ id: 'A' }] },
    { document: 'd', table_id: 'T', columns: [{ id: 'A', type: 'Text', label: 3 }] },
  ],
  add_column: [
    { document: 'd', table: 'T', column_id: 'A', column_type: 'Numeric', formula: null, label: 'L' },
    { document: 'd', table: 'T', column_id: 'A' },
  ],
  modify_column: [
    { document: 'd', table: 'T', column_id: 'A', type: null, formula: '$B', label: null },
    { document: 'd', table: 'T', column_id: 'A', type: 3 },
  ],
  request_session_token: [
    { document: 'd', permissions: ['read', 'write'], ttl_seconds: 600 },
    { document: 'd', permissions: ['read'] },
    { document: 'd', permissions: [] },
    { document: 'd', permissions: ['admin'] },
    { document: 'd', permissions: ['read'], ttl_seconds: 3601 },
    { document: 'd', permissions: ['read'], ttl_seconds: 0 },
  ],
  revoke_session_token: [{ token: 'sess_x' }, {}],
  list_documents: [{}],
};

/** The zod schema a tool call is validated with (the method's input, `document` required for data tools). */
function zodInput(name: MethodName): z.ZodObject {
  const def = methods[name];
  return def.permission === 'agent' ? def.input : def.input.extend({ document: z.string().min(1) });
}

describe('compact MCP input schemas', () => {
  it.each(Object.keys(samples) as MethodName[])('%s: the advertised schema agrees with the router on every sample', (name) => {
    const validate = ajv.compile(toolFor(name).inputSchema);
    for (const sample of samples[name]!) {
      const expected = zodInput(name).safeParse(sample).success;
      expect(validate(sample), `${name} ${JSON.stringify(sample)}`).toBe(expected);
    }
  });

  it('merges only branches that do not constrain each other', () => {
    expect(compactSchema({ anyOf: [{ type: 'string', minLength: 2 }, { type: 'null' }] })).toEqual({ type: ['string', 'null'], minLength: 2 });
    // Two array branches (a list of values, or a Grist list) must stay alternatives.
    const both = { anyOf: [{ type: 'array', items: { type: 'integer' } }, { type: 'array', prefixItems: [{ type: 'string' }] }] };
    expect(compactSchema(both)).toEqual(both);
    // `integer` and `number` bounds would apply to both: not merged.
    const bounds = { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'number', maximum: 5 }] };
    expect(compactSchema(bounds)).toEqual(bounds);
  });
});
