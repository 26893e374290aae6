/**
 * The schema generator: the Grist type -> TypeScript mapping, read-only formula columns, labels as doc
 * comments, odd ids and texts, and that its output compiles (with the repo's TypeScript, --strict).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { columnValueType, generateSchemaModule, invalidSchemaName, isReadOnlyColumn, type SchemaColumn } from '../src/codegen/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const col = (type: string, extra: Partial<SchemaColumn> = {}): SchemaColumn => ({ id: 'C', type, isFormula: false, ...extra });

describe('columnValueType', () => {
  it('maps each Grist type to the TypeScript type of its wire values', () => {
    expect(columnValueType(col('Text'))).toBe('string');
    expect(columnValueType(col('Numeric'))).toBe('number');
    expect(columnValueType(col('Int'))).toBe('number');
    expect(columnValueType(col('Bool'))).toBe('boolean');
    expect(columnValueType(col('Date'))).toBe('number');
    expect(columnValueType(col('DateTime:America/New_York'))).toBe('number');
    expect(columnValueType(col('Ref:People'))).toBe('number');
    expect(columnValueType(col('RefList:People'))).toBe('["L", ...number[]] | null');
    expect(columnValueType(col('Attachments'))).toBe('["L", ...number[]] | null');
    expect(columnValueType(col('Any'))).toBe('CellValue');
    expect(columnValueType(col('ManualSortPos'))).toBe('CellValue');
  });

  it('makes Choice columns the union of their choices (string when none are listed)', () => {
    const choice = col('Choice', { widgetOptions: { choices: ['Red', 'Blue', 'Red', 7, 'say "hi"'] } });
    expect(columnValueType(choice)).toBe('"Red" | "Blue" | "say \\"hi\\""');
    expect(columnValueType(choice, { openChoices: true })).toBe('"Red" | "Blue" | "say \\"hi\\"" | (string & {})');
    expect(columnValueType(col('Choice'))).toBe('string');
    expect(columnValueType(col('Choice', { widgetOptions: { choices: [] } }))).toBe('string');
    expect(columnValueType(col('ChoiceList', { widgetOptions: { choices: ['a', 'b'] } }))).toBe('["L", ...("a" | "b")[]] | null');
    expect(columnValueType(col('ChoiceList'))).toBe('["L", ...(string)[]] | null');
  });

  it('marks formula columns with a formula read-only, not empty columns or trigger formulas', () => {
    expect(isReadOnlyColumn(col('Numeric', { isFormula: true, formula: '$A * 2' }))).toBe(true);
    expect(isReadOnlyColumn(col('Any', { isFormula: true, formula: '' }))).toBe(false);
    expect(isReadOnlyColumn(col('Text', { isFormula: false, formula: 'NOW()' }))).toBe(false);
  });
});

describe('generateSchemaModule', () => {
  const description = {
    document: 'sales',
    tables: [
      {
        id: 'Orders',
        columns: [
          col('Text', { id: 'Item', label: 'Item name' }),
          col('Numeric', { id: 'Total', label: 'Total */ sum', isFormula: true, formula: '$Qty *\n$Price' }),
          col('Int', { id: 'Qty', description: 'How many' }),
        ],
      },
      { id: 'Odd Table', columns: [col('Text', { id: 'with-dash', label: '' })] },
      { id: 'Empty', columns: [] },
    ],
  };

  it('writes per table the columns (formulas readonly), the formula ids and the labels as doc comments', () => {
    const text = generateSchemaModule(description);
    expect(text).toContain('export type CellValue = string | number | boolean | null | [string, ...unknown[]];');
    expect(text).toContain('export type Schema = {');
    expect(text).toContain('Types of the Grist document "sales"');
    expect(text).toMatch(/\/\*\*\n {7}\* Item name\n {7}\* Grist type Text\.\n {7}\*\/\n {6}Item: string;/);
    // Formula: read-only, listed in `formulas`, its text on one line, no early end of comment.
    expect(text).toMatch(/\* Total \*\\\/ sum\n[^]*?Formula column: read-only[^]*?\* Formula: \$Qty \* \$Price\n[^]*?readonly Total: number;/);
    expect(text).toContain('formulas: "Total";');
    expect(text).toContain('* How many');
    // Ids that are not identifiers are quoted; a table without formulas has `formulas: never`.
    expect(text).toContain('"Odd Table": {');
    expect(text).toContain('"with-dash": string;');
    expect(text).toMatch(/Empty: \{\n {4}columns: \{\n {4}\};\n[^]*?formulas: never;/);
  });

  it('is deterministic and names the type as asked', () => {
    expect(generateSchemaModule(description)).toBe(generateSchemaModule(description));
    expect(generateSchemaModule(description, { name: 'SalesSchema' })).toContain('export type SalesSchema = {');
    expect(generateSchemaModule({ tables: [] })).toContain('export type Schema = {};');
    expect(() => generateSchemaModule(description, { name: 'not-an-id' })).toThrow(/name: "not-an-id" is not a TypeScript identifier/);
    expect(invalidSchemaName('CellValue')).toMatch(/taken/);
    expect(invalidSchemaName('Schema2')).toBeUndefined();
  });

  it('gives a module that compiles with --strict and whose types say what the document holds', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-codegen-'));
    try {
      fs.writeFileSync(path.join(dir, 'schema.ts'), generateSchemaModule(description));
      fs.writeFileSync(
        path.join(dir, 'use.ts'),
        [
          "import type { Schema } from './schema.js';",
          "type Orders = Schema['Orders']['columns'];",
          "const row: Orders = { Item: 'Pen', Total: 3, Qty: 1 };",
          "const formulas: Schema['Orders']['formulas'] = 'Total';",
          "const odd: Schema['Odd Table']['columns'] = { 'with-dash': 'x' };",
          '// @ts-expect-error formula columns are readonly',
          'row.Total = 4;',
          '// @ts-expect-error Qty is a number',
          "const wrong: Orders = { Item: 'Pen', Total: 3, Qty: 'one' };",
          'export { row, formulas, odd, wrong };',
        ].join('\n'),
      );
      const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', types: [] }, files: ['schema.ts', 'use.ts'] }),
      );
      const args = [tsc, '-p', 'tsconfig.json'];
      const result = await new Promise<{ code: number; out: string }>((resolve) => {
        execFile(process.execPath, args, { cwd: dir, timeout: 110_000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }));
      });
      expect(result.out).toBe('');
      expect(result.code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
