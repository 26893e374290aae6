import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../backend/types.js';
import { AuthError } from './errors.js';
import { formulaReads } from './formula-reads.js';
import { ScopeView, scopeFromMapping, sessionScopeLayers, subsetProblems, type DocStructure } from './scopes.js';

/** A column as listColumns returns it (only the fields scopes look at matter). */
function col(id: string, type = 'Text', formula = '', isFormula = formula !== ''): ColumnInfo {
  return { id, fields: { type, formula, isFormula } as ColumnInfo['fields'] };
}

const doc: DocStructure = {
  tables: ['Orders', 'Customers', 'Salaries'],
  columns: new Map([
    [
      'Orders',
      [
        col('Item'),
        col('Customer', 'Ref:Customers'),
        col('CustName', 'Any', '$Customer.Name'),
        col('CustEmail', 'Any', '$Customer.Email'),
        col('CustRecord', 'Any', '$Customer'),
        col('Total', 'Numeric', 'SUM(Salaries.all.Amount)'),
        col('Dyn', 'Any', 'getattr(rec, "Item")'),
        col('Upper', 'Text', '$Item.upper()  # uses Customers.Email in a comment'),
        col('Trigger', 'Text', '$Customer.Email', false),
      ],
    ],
    ['Customers', [col('Name'), col('City'), col('Email'), col('Boss', 'Ref:Salaries')]],
    ['Salaries', [col('Amount', 'Numeric')]],
  ]),
};

function view(...layers: Record<string, '*' | string[]>[]): ScopeView {
  return new ScopeView(layers.map(scopeFromMapping), doc);
}

describe('ScopeView', () => {
  it('shows listed columns and, under "*", only columns that reveal nothing hidden', () => {
    const v = view({ Orders: '*', Customers: ['Name', 'City'] });
    expect(v.tables()).toEqual(['Orders', 'Customers']);
    expect(v.columns('Orders')).toEqual(['Item', 'Customer', 'CustName', 'Upper']);
    expect(v.columns('Customers')).toEqual(['Name', 'City']);
    expect(v.columns('Salaries')).toEqual([]);
    expect(v.holdsWholeTable('Orders')).toBe(true);
    expect(v.holdsWholeTable('Customers')).toBe(false);
  });

  it('shows a formula column the operator lists by name, whatever it reads, but not what it names', () => {
    const v = view({ Orders: ['Item', 'CustEmail', 'Customer', 'Upper'] });
    expect(v.columns('Orders')).toEqual(['Item', 'Customer', 'CustEmail', 'Upper']);
    expect(v.revealsHidden('Orders', 'CustEmail')).toEqual({ type: false, formula: true });
    expect(v.revealsHidden('Orders', 'Customer')).toEqual({ type: true, formula: false });
    expect(v.revealsHidden('Orders', 'Upper')).toEqual({ type: false, formula: false });
  });

  it('shows everything a whole document would when every table is "*"', () => {
    const v = view({ Orders: '*', Customers: '*', Salaries: '*' });
    expect(v.columns('Orders')).toEqual(['Item', 'Customer', 'CustName', 'CustEmail', 'CustRecord', 'Total', 'Upper', 'Trigger']);
    expect(v.columns('Customers')).toEqual(['Name', 'City', 'Email', 'Boss']);
  });

  it('intersects layers: a session never sees more than its agent', () => {
    const v = view({ Orders: '*', Customers: ['Name', 'City'] }, { Orders: ['Item', 'CustEmail'], Customers: '*' });
    expect(v.columns('Orders')).toEqual(['Item']);
    expect(v.columns('Customers')).toEqual(['Name', 'City']);
  });
});

describe('formulaReads', () => {
  const tables = new Set(doc.tables);
  it('follows $col, rec.col and reference chains, and names tables', () => {
    expect(formulaReads('$A.B.upper() + rec.C', tables)).toEqual({ dynamic: false, reads: [{ kind: 'path', path: ['A', 'B', 'upper'] }, { kind: 'path', path: ['C'] }] });
    expect(formulaReads('Customers.lookupOne(Name=$N).City', tables)).toMatchObject({ reads: [{ kind: 'table', table: 'Customers' }, { kind: 'path', path: ['N'] }] });
    expect(formulaReads('"Customers" # Salaries', tables)).toEqual({ dynamic: false, reads: [] });
  });
  it('calls what it cannot follow dynamic', () => {
    for (const f of ['RECORD(rec)', 'rec', 'getattr(rec, "x")', 'x.__class__', 'eval("1")', 'table.all']) {
      expect(formulaReads(f, tables).dynamic, f).toBe(true);
    }
  });
});

describe('session scopes', () => {
  const agent = scopeFromMapping({ Orders: '*', Customers: ['Name', 'City'] });
  it('accepts a subset and keeps both layers', () => {
    expect(subsetProblems(scopeFromMapping({ Orders: ['Item'], Customers: ['Name'] }), agent)).toEqual([]);
    expect(sessionScopeLayers(agent, scopeFromMapping({ Customers: ['Name'] }))).toEqual({
      layers: [agent, [{ table: 'Customers', columns: ['Name'] }]],
      own: [{ table: 'Customers', columns: ['Name'] }],
    });
    expect(sessionScopeLayers(agent, undefined)).toEqual({ layers: [agent], own: agent });
    expect(sessionScopeLayers(undefined, undefined)).toBeUndefined();
  });
  it('refuses anything wider, naming only what was asked for', () => {
    expect(subsetProblems(scopeFromMapping({ Salaries: '*', Customers: '*', Orders: ['Item'] }), agent)).toEqual([
      "tables.Salaries: not in this agent's scope",
      'tables.Customers: "*" is wider than this agent\'s scope; list the columns',
    ]);
    expect(() => sessionScopeLayers(agent, scopeFromMapping({ Customers: ['Email'] }))).toThrow(AuthError);
    expect(() => sessionScopeLayers(agent, [])).toThrow(/at least one table/);
  });
});
