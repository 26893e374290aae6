/** The type tests' fixture schema is exactly what the generator gives for its description (never hand-edited). */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSchemaModule } from '../src/index.js';
import { shop } from './fixtures/shop.description.js';

describe('fixtures/shop.schema.ts', () => {
  it('is the generated module of fixtures/shop.description.ts', () => {
    const committed = fs.readFileSync(new URL('./fixtures/shop.schema.ts', import.meta.url), 'utf8');
    expect(committed).toBe(generateSchemaModule(shop));
  });
});
