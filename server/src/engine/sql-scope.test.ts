import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDocument } from './document.js';
import { anonymiseParameters } from './sql-scope.js';

let dir: string;
let doc: EmbeddedDocument;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-sql-scope-'));
  doc = EmbeddedDocument.create(path.join(dir, 'doc.grist'));
  await doc.createTables([
    { id: 'Customers', columns: [{ id: 'Name', fields: { type: 'Text' } }, { id: 'City', fields: { type: 'Text' } }, { id: 'Email', fields: { type: 'Text' } }] },
    { id: 'Orders', columns: [{ id: 'Item', fields: { type: 'Text' } }, { id: 'Customer', fields: { type: 'Ref:Customers' } }] },
  ]);
  await doc.addRecords('Customers', [{ fields: { Name: 'Ann', City: 'Oslo', Email: 'ann@x' } }]);
  // What an operator or another tool may have added to the file: an index on a column, and a view.
  doc.db.exec('CREATE INDEX cust_email ON Customers(Email); CREATE VIEW EmailView AS SELECT Name, Email FROM Customers;');
});
afterAll(async () => {
  await doc.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The reads as plain data: table -> sorted columns, or the refusal. Row ids (`id`, always allowed) are left out. */
async function readsOf(query: string): Promise<Record<string, string[]> | string> {
  const reads = await doc.sqlReads(query);
  if (!reads.ok) return reads.why;
  return Object.fromEntries([...reads.tables].map(([t, cols]) => [t, [...cols].filter((c) => c !== 'id').sort()]));
}

describe('sqlReads: what a statement reads, from its compiled program', () => {
  it('finds the columns of plain selects, joins, CTEs, subqueries, aggregates and windows', async () => {
    expect(await readsOf('SELECT Name, City FROM Customers')).toEqual({ Customers: ['City', 'Name'] });
    expect(await readsOf('SELECT count(*) FROM Orders;')).toEqual({ Orders: [] });
    // SQLite counts through the smallest index, so the indexed column counts as read (conservative).
    expect(await readsOf('SELECT count(*) FROM Customers')).toEqual({ Customers: ['Email'] });
    expect(await readsOf('SELECT * FROM Customers')).toEqual({ Customers: ['City', 'Email', 'Name', 'manualSort'] });
    expect(await readsOf('WITH c AS (SELECT id, Name FROM Customers) SELECT o.Item, c.Name FROM Orders o JOIN c ON c.id = o.Customer')).toEqual({
      Customers: ['Name'],
      Orders: ['Customer', 'Item'],
    });
    expect(await readsOf('SELECT Name FROM Customers WHERE City IN (SELECT Item FROM Orders) ORDER BY Email')).toEqual({
      Customers: ['City', 'Email', 'Name'],
      Orders: ['Item'],
    });
    expect(await readsOf('SELECT group_concat(Name) OVER (PARTITION BY City) FROM Customers GROUP BY id HAVING max(Email) > \'\'')).toMatchObject({
      Customers: expect.arrayContaining(['Email']),
    });
    expect(await readsOf('SELECT Name FROM Customers WHERE City = ? AND Name = :n')).toEqual({ Customers: ['City', 'Name'] });
  });

  it('counts a filter through an index as reading the indexed column', async () => {
    expect(await readsOf('SELECT id FROM Customers WHERE Email = ?')).toMatchObject({ Customers: expect.arrayContaining(['Email']) });
  });

  it('expands views into their base tables', async () => {
    expect(await readsOf('SELECT Name FROM EmailView')).toMatchObject({ Customers: expect.arrayContaining(['Name']) });
    expect(await readsOf('SELECT * FROM EmailView')).toMatchObject({ Customers: expect.arrayContaining(['Email']) });
  });

  it('refuses what it cannot attribute: schema, metadata, virtual tables, bad SQL', async () => {
    expect(await readsOf('SELECT name FROM sqlite_master')).toMatch(/schema table/);
    expect(await readsOf('SELECT colId FROM _grist_Tables_column')).toMatch(/internal tables/);
    expect(await readsOf("SELECT * FROM pragma_table_info('Customers')")).toMatch(/virtual table/);
    expect(await readsOf('SELECT value FROM Customers, json_each(Customers.Email)')).toMatch(/virtual table/);
    expect(await readsOf('SELECT Nope FROM Customers')).toMatch(/outside this token's scope/);
    expect(await readsOf('SELECT Name FROM Hidden')).toMatch(/outside this token's scope/);
    expect(await readsOf('SELEC Name FROM Customers')).toMatch(/syntax error/);
    expect(await readsOf('SELECT 1) ; DELETE FROM Customers; --')).toMatch(/does not compile/);
  });
});

describe('anonymiseParameters', () => {
  it('rewrites every kind of parameter to ? and leaves strings, identifiers and comments alone', () => {
    expect(anonymiseParameters(`SELECT ?, ?3, :a, @b, $c, '?:x', "?", [@y] -- ?\n/* :z */`)).toEqual({
      text: `SELECT ?, ?, ?, ?, ?, '?:x', "?", [@y] -- ?\n/* :z */`,
      count: 5,
    });
  });
});
