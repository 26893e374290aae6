/**
 * The request bodies grist-mcp (Python) users send to `POST /api/v1/proxy` must validate unchanged, and bad
 * ones must be rejected with a message naming the field.
 */
import { describe, expect, it } from 'vitest';
import { dataMethodNames, formatZodIssues, isDataMethodName, methods, type DataMethodName } from '../src/index.js';

/** Validates a proxy body the way the proxy does: split off `method`, parse the rest. */
function validate(body: Record<string, unknown>): { ok: true; data: unknown } | { ok: false; message: string } {
  const { method, ...fields } = body;
  if (!isDataMethodName(method)) throw new Error(`test body has no data method: ${String(method)}`);
  const result = methods[method].input.safeParse(fields);
  return result.success ? { ok: true, data: result.data } : { ok: false, message: formatZodIssues(result.error, fields) };
}

/** One body per method, as grist-mcp users (and its docs' examples) send them. */
const pythonBodies: Record<DataMethodName, Record<string, unknown>> = {
  list_tables: { method: 'list_tables' },
  describe_table: { method: 'describe_table', table: 'Orders' },
  get_records: { method: 'get_records', table: 'Orders', filter: { Status: 'open' }, sort: 'Name', limit: 10 },
  sql_query: { method: 'sql_query', query: 'SELECT * FROM Orders' },
  add_records: { method: 'add_records', table: 'Orders', records: [{ item: 'Widget', qty: 100 }] },
  update_records: { method: 'update_records', table: 'Orders', records: [{ id: 1, fields: { qty: 5 } }] },
  delete_records: { method: 'delete_records', table: 'Orders', record_ids: [1, 2] },
  add_or_update_records: {
    method: 'add_or_update_records',
    table: 'People',
    records: [{ require: { Email: 'a@example.com' }, fields: { Name: 'Ann' } }, { require: { Email: 'b@example.com' } }],
    on_many: 'all',
    add: false,
  },
  create_table: { method: 'create_table', table_id: 'Orders', columns: [{ id: 'item', type: 'Text' }, { id: 'qty', type: 'Int' }] },
  rename_table: { method: 'rename_table', table: 'Orders', new_table_id: 'Sales' },
  delete_table: { method: 'delete_table', table: 'Scratch' },
  add_column: { method: 'add_column', table: 'Orders', column_id: 'total', column_type: 'Numeric', formula: '$qty * 2' },
  modify_column: { method: 'modify_column', table: 'Orders', column_id: 'qty', type: 'Numeric', formula: null },
  delete_column: { method: 'delete_column', table: 'Orders', column_id: 'total' },
};

describe('Python proxy request bodies', () => {
  it.each(dataMethodNames)('accepts a grist-mcp %s body', (name) => {
    const result = validate(pythonBodies[name]);
    expect(result).toMatchObject({ ok: true });
  });

  it('accepts the other filter, sort and cell value forms', () => {
    expect(
      validate({
        method: 'get_records',
        table: 'Orders',
        filter: { Status: ['open', 'paid'], Tags: [['L', 'a']], Done: false, Note: null },
        sort: ['-Price', 'Name'],
        cursor: 'abc',
      }),
    ).toMatchObject({ ok: true });
    expect(
      validate({
        method: 'add_records',
        table: 'Orders',
        records: [{ Tags: ['L', 'a', 'b'], When: ['d', 1705276800], Ref: 3, Price: 1.5, Ok: true, Empty: null }],
      }),
    ).toMatchObject({ ok: true });
    expect(
      validate({ method: 'create_table', table_id: 'T', columns: [{ id: 'A', type: 'Text', label: 'Col A', formula: '' }] }),
    ).toMatchObject({ ok: true });
    expect(validate({ method: 'sql_query', query: 'SELECT * FROM T WHERE A > ?', args: [1] })).toMatchObject({ ok: true });
  });

  it('keeps the fields it validated and defaults nothing silently', () => {
    const result = validate(pythonBodies.get_records);
    expect(result).toEqual({ ok: true, data: { table: 'Orders', filter: { Status: 'open' }, sort: 'Name', limit: 10 } });
  });

  const badBodies: [string, Record<string, unknown>, RegExp][] = [
    ['missing table', { method: 'get_records' }, /^table: required field is missing$/],
    ['records not a list', { method: 'add_records', table: 'T', records: { A: 1 } }, /^records: expected array, got object$/],
    [
      'fields not an object',
      { method: 'update_records', table: 'T', records: [{ id: 1, fields: {} }, { id: 2, fields: {} }, { id: 3, fields: 'x' }] },
      /^records\[2\]\.fields: expected object, got string$/,
    ],
    ['row id not an integer', { method: 'delete_records', table: 'T', record_ids: [1, 'two'] }, /^record_ids\[1\]: expected (number|integer), got string$/],
    ['row id not positive', { method: 'delete_records', table: 'T', record_ids: [0] }, /^record_ids\[0\]: /],
    ['plain list as cell value', { method: 'add_records', table: 'T', records: [{ A: [1, 2] }] }, /^records\[0\]\.A: expected a cell value/],
    ['object as cell value', { method: 'add_records', table: 'T', records: [{ A: { x: 1 } }] }, /^records\[0\]\.A: expected a cell value.*got object$/],
    ['limit zero', { method: 'get_records', table: 'T', limit: 0 }, /^limit: /],
    ['limit fractional', { method: 'get_records', table: 'T', limit: 2.5 }, /^limit: /],
    ['sort a number', { method: 'get_records', table: 'T', sort: 5 }, /^sort: expected a string like/],
    ['filter value object', { method: 'get_records', table: 'T', filter: { 'Unit price': { a: 1 } } }, /^filter\["Unit price"\]: expected a list/],
    ['query missing', { method: 'sql_query' }, /^query: required field is missing$/],
    ['columns missing', { method: 'create_table', table_id: 'T' }, /^columns: required field is missing$/],
    ['column without type', { method: 'create_table', table_id: 'T', columns: [{ id: 'A' }] }, /^columns\[0\]\.type: required field is missing$/],
    ['column_type missing', { method: 'add_column', table: 'T', column_id: 'A' }, /^column_type: required field is missing$/],
    ['bad on_many', { method: 'add_or_update_records', table: 'T', records: [], on_many: 'some' }, /^on_many: .*"first"/],
    ['upsert without require', { method: 'add_or_update_records', table: 'T', records: [{ fields: { A: 1 } }] }, /^records\[0\]\.require: required field is missing$/],
    ['empty table name', { method: 'describe_table', table: '' }, /^table: /],
  ];

  it.each(badBodies)('rejects %s, naming the field', (_label, body, message) => {
    const result = validate(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it('names every failing field at once', () => {
    const result = validate({ method: 'update_records', records: [{ id: 'x', fields: 1 }] });
    expect(result).toEqual({
      ok: false,
      message: 'table: required field is missing; records[0].id: expected number, got string; records[0].fields: expected object, got integer',
    });
  });

  it('validates the agent methods', () => {
    const input = methods.request_session_token.input;
    expect(input.safeParse({ document: 'sales', permissions: ['read', 'write'], ttl_seconds: 600 }).success).toBe(true);
    const empty = input.safeParse({ document: 'sales', permissions: [] });
    expect(empty.success).toBe(false);
    if (!empty.success) expect(formatZodIssues(empty.error)).toMatch(/^permissions: /);
    const admin = input.safeParse({ document: 'sales', permissions: ['admin'] });
    if (admin.success) throw new Error('admin accepted');
    expect(formatZodIssues(admin.error)).toMatch(/^permissions\[0\]: .*"read"/);
  });
});
