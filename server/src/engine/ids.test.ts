/**
 * Tests of table/column id normalisation against fixture 01-tables (create-odd-table-ids,
 * create-column-id-normalisation, renames) and 06-columns (POST /columns ids); inline cases repeat the
 * recorded answers so they run without the fixture files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normaliseColId, normaliseTableId, sanitizeIdent } from './ids.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function fixture(name: string): { steps: { name: string; request: { body?: unknown }; response: { body: unknown } }[] } | undefined {
  const dir = process.env['GRIST_CONTRACT_DIR'] ? path.join(process.env['GRIST_CONTRACT_DIR'], 'fixtures')
    : path.join(REPO_ROOT, 'server/test/contract/recorded/fixtures');
  const file = path.join(dir, name);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as ReturnType<typeof fixture> : undefined;
}

/** Picks ids one after the other, each new id joining the existing ones, as a multi-item request does. */
function pickAll(pick: (r: string | undefined, existing: string[]) => string, requested: (string | undefined)[], existing: string[]): string[] {
  const have = [...existing];
  return requested.map((r) => {
    const id = pick(r, have);
    have.push(id);
    return id;
  });
}

describe('normaliseTableId (section 2.3)', () => {
  it('normalises as recorded', () => {
    expect(normaliseTableId('my table', ['Table1', 'People', 'Things'])).toBe('My_table');
    expect(normaliseTableId('People', ['Table1', 'People'])).toBe('People2');
    expect(normaliseTableId('people', ['Table1', 'People', 'People2'])).toBe('People3');
    expect(pickAll(normaliseTableId, ['123 numbers', 'Sales-2024 (Q1)!', 'Ünïcødé Tåble', '', undefined], ['Table1']))
      .toEqual(['T123_numbers', 'Sales_2024_Q1_', 'Unic_de_Table', 'Table2', 'Table3']);
    expect(normaliseTableId('items lower', ['Table1'])).toBe('Items_lower');
    expect(normaliseTableId('Persons', ['Persons', 'My_table'])).toBe('Persons2');
  });
  it('separates a suffix from a trailing digit and avoids keywords', () => {
    expect(normaliseTableId('T123', ['T123'])).toBe('T123_2');
    expect(normaliseTableId('class', [])).toBe('Class');
    expect(normaliseTableId(null, [])).toBe('Table1');
    expect(normaliseTableId('_x', [])).toBe('X');
  });
});

describe('normaliseColId (section 3.6)', () => {
  it('normalises as recorded in 01 create-column-id-normalisation', () => {
    const requested = ['first name', 'First Name', 'first_name', 'class', '123abc', 'id', 'manualSort', 'Ünïcødé', 'A-B.C', '', undefined, undefined];
    expect(pickAll(normaliseColId, requested, ['manualSort'])).toEqual(
      ['first_name', 'First_Name2', 'first_name3', 'cclass', 'c123abc', 'id2', 'manualSort2', 'Unic_de', 'A_B_C', 'A', 'B', 'C']);
  });
  it('handles letters beyond Z and renames', () => {
    const az = Array.from({ length: 26 }, (_, i) => String.fromCharCode(65 + i));
    expect(normaliseColId('', az)).toBe('AA');
    expect(normaliseColId(undefined, [...az, 'aa'])).toBe('AB');
    expect(normaliseColId('Reader Notes', ['Title'])).toBe('Reader_Notes');
    expect(normaliseColId('new name!', [])).toBe('new_name_');
    expect(normaliseColId('BookTitle', ['BookTitle'])).toBe('BookTitle2');
    expect(normaliseColId('None', [])).toBe('cNone');
  });
  it('sanitizeIdent keeps case and has no collision handling', () => {
    expect(sanitizeIdent('first name')).toBe('first_name');
    expect(sanitizeIdent('Ünïcødé')).toBe('Unic_de');
    expect(sanitizeIdent('!!!')).toBe('');
  });
});

const f01 = fixture('01-tables.json');
const f06 = fixture('06-columns.json');

describe.skipIf(!f01 || !f06)('fixture replay', () => {
  it('01 create-odd-table-ids', () => {
    const step = f01?.steps.find((s) => s.name === 'create-odd-table-ids');
    const req = (step?.request.body as { tables: { id?: string }[] }).tables.map((t) => t.id);
    const res = (step?.response.body as { tables: { id: string }[] }).tables.map((t) => t.id);
    expect(pickAll(normaliseTableId, req, ['Table1', 'People', 'Things', 'My_table', 'People2', 'People3'])).toEqual(res);
  });
  it('01 columns-colids', () => {
    const step = f01?.steps.find((s) => s.name === 'create-column-id-normalisation');
    const req = (step?.request.body as { tables: { columns: { id?: string }[] }[] }).tables[0]?.columns.map((c) => c.id) ?? [];
    const cols = (f01?.steps.find((s) => s.name === 'columns-colids')?.response.body as { columns: { id: string }[] }).columns;
    expect(pickAll(normaliseColId, req, ['manualSort'])).toEqual(cols.map((c) => c.id).filter((id) => id !== 'manualSort'));
  });
  it('06 post-columns', () => {
    const step = f06?.steps.find((s) => s.name === 'post-columns');
    const req = (step?.request.body as { columns: { id?: string }[] }).columns.map((c) => c.id);
    const res = (step?.response.body as { columns: { id: string }[] }).columns.map((c) => c.id);
    const existing = ['manualSort', 'Title', 'Pages', 'Published', 'Flag', 'Genres', 'AuthorId', 'Rating'];
    expect(pickAll(normaliseColId, req, existing)).toEqual(res);
  });
});
