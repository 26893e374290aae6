/**
 * The one list of everything the contract replay does not compare verbatim, each with its reason:
 *
 * - **skips by named feature**: things the gateway never does; a rule on the recorded request decides,
 *   so new fixtures using the feature are skipped too. A skipped step is not sent.
 * - **expected differences**: values only Grist's Python engine can compute (formula results and error
 *   names, Python reprs, marshalled blobs in SQL, order after removals). Listed as (fixture, step, JSON
 *   paths masked in `{status, headers, body}`), so everything else in the answer is still compared. An
 *   entry whose answer no longer differs fails the replay, so the list stays honest.
 *
 * `step: 'final_state'` addresses the final state comparison (`{tables, columns, records}`).
 */
import type { FixtureStep } from './fixtures.js';

/** A feature the gateway never uses: every step whose request matches is skipped. */
export interface FeatureSkip {
  feature: string;
  reason: string;
  matches(step: FixtureStep, fixture: string): boolean;
}

/** An expected difference in one step's answer. */
export interface ExpectedDifference {
  fixture: string;
  step: string;
  /** JSON paths (dots, `[i]`, `*` wildcard) masked on both sides. */
  paths: string[];
  /** JSON paths of lists compared without regard to order (sorted by element `id` on both sides). */
  unordered?: string[];
  reason: string;
}

/** True when a recorded `/apply` body contains an action named `name`. */
function appliesAction(step: FixtureStep, name: string): boolean {
  const body = step.request.body;
  return (
    step.request.path.endsWith('/apply') &&
    Array.isArray(body) &&
    body.some((action: unknown) => Array.isArray(action) && action[0] === name)
  );
}

/** A wording difference that holds for every step: applied to both sides' strings before comparing. */
export interface TextRule {
  reason: string;
  pattern: RegExp;
  replacement: string;
}

/** Text rules. */
export const TEXT_RULES: TextRule[] = [
  {
    reason:
      'JSON.parse messages depend on the Node version (grist-api.md 1.4): Node 22 adds " (line L column C)", Node 20 does not',
    pattern: / \(line \d+ column \d+\)$/,
    replacement: '',
  },
];

/** Skips by named feature. */
export const FEATURE_SKIPS: FeatureSkip[] = [
  {
    feature: 'SetDisplayFormula display formulas',
    reason: 'display formulas need Grist\'s Python formula engine; the gateway never sends SetDisplayFormula',
    matches: (step) => appliesAction(step, 'SetDisplayFormula'),
  },
];

const FORMULA = 'formula results and formula error names need Grist\'s Python formula engine (ours reports NotImplementedError)';
const DISPLAY = 'follows from the SetDisplayFormula skip: no gristHelper_Display column exists';
const ORDER = 'table/column order after removals follows Grist\'s in-memory metadata (grist-api.md 2.1); ours lists by position';
const SQL_BLOB = 'SQL returns Python-marshalled blobs (error cells, Any lists/bools, converted cells) and formula values only Grist computes';

/** Masks of formula columns in `GET /records`-shaped answers (value and error entry) for several steps. */
function formulaCells(fixture: string, steps: string[], columns: string[], base = 'body.records[*]'): ExpectedDifference[] {
  return steps.map((step) => ({
    fixture,
    step,
    paths: columns.flatMap((col) => [`${base}.fields.${col}`, `${base}.errors.${col}`]),
    reason: FORMULA,
  }));
}

/** The `03-records-read` steps that read `Items` (with its formula column `PerUnit`) as records. */
const ITEMS_READS = [
  'get-all', 'get-all-hidden', 'filter-one-column', 'filter-two-values', 'filter-two-columns', 'filter-ref-column',
  'filter-ref-zero', 'filter-int-vs-float', 'filter-bool', 'filter-null', 'filter-date-epoch', 'filter-id',
  'filter-empty-object', 'sort-asc', 'sort-desc', 'sort-two-keys', 'sort-text-default', 'sort-code-plain',
  'sort-code-natural', 'sort-code-natural-desc', 'sort-emptylast', 'sort-manualsort', 'sort-id-desc', 'sort-ref',
  'sort-date-nulls', 'sort-bool', 'sort-unknown-flag', 'sort-orderbychoice', 'sort-by-colref', 'limit-0', 'limit-1',
  'limit-large', 'limit-negative', 'limit-float', 'sort-then-limit', 'filter-sort-limit', 'headers-sort-limit',
  'query-beats-header', 'hidden-false-explicit', 'errors-field', 'list-post', 'list-post-empty-body',
  'list-post-unknown-key', 'records-hidden-after-visiblecol', 'records-visible-after-visiblecol',
  'read-owner-name-writes', 'sort-ref-after-visiblecol', 'records-visible-after-display', 'sort-ref-after-display',
];

/** Expected differences. */
export const EXPECTED_DIFFERENCES: ExpectedDifference[] = [
  // 01-tables
  ...formulaCells('01-tables', ['records-goods-after-remove-referenced'], ['Total']),
  { fixture: '01-tables', step: 'tables-expand-column', paths: [], unordered: ['body.tables', 'body.tables[*].columns'], reason: ORDER },
  { fixture: '01-tables', step: 'list-tables-final', paths: [], unordered: ['body.tables'], reason: ORDER },
  {
    fixture: '01-tables',
    step: 'final_state',
    paths: ['records.Goods.records[*].fields.Total', 'records.Goods.records[*].errors.Total'],
    unordered: ['tables.tables', 'columns.*.columns'],
    reason: `${ORDER}; ${FORMULA}`,
  },
  // 02-records-write
  {
    fixture: '02-records-write',
    step: 'read-types',
    paths: ['body.records[26].fields.Num', 'body.records[26].fields.ChoiceList', 'body.records[26].fields.Ref'],
    reason: 'Python object reprs (<objtypes.RecordStub ...>) of ["R", ...] written into non-reference columns',
  },
  {
    fixture: '02-records-write',
    step: 'read-types-typed',
    paths: ['body.records[26].fields.Num', 'body.records[26].fields.Int', 'body.records[26].fields.ChoiceList', 'body.records[26].fields.Ref'],
    reason: 'Python object reprs (<objtypes.RecordStub ...>) of ["R", ...] written into non-reference columns',
  },
  ...formulaCells('02-records-write', ['read-people-with-formulas'], ['Double', 'Ratio', 'Upper']),
  { fixture: '02-records-write', step: 'read-people-typed', paths: ['body.records[*].fields.Double', 'body.records[*].fields.Ratio', 'body.records[*].fields.Upper'], reason: FORMULA },
  {
    fixture: '02-records-write',
    step: 'final_state',
    paths: [
      ...['Double', 'Ratio', 'Upper'].flatMap((c) => [`records.People.records[*].fields.${c}`, `records.People.records[*].errors.${c}`]),
      'records.Types.records[26].fields.Num',
      'records.Types.records[26].fields.ChoiceList',
      'records.Types.records[26].fields.Ref',
    ],
    reason: `${FORMULA}; Python object reprs in Types row 27`,
  },
  // 03-records-read
  ...formulaCells('03-records-read', ITEMS_READS, ['PerUnit']),
  { fixture: '03-records-read', step: 'filter-formula-column', paths: ['body.records'], reason: `${FORMULA}: the filter is on the formula column` },
  { fixture: '03-records-read', step: 'sort-formula', paths: ['body.records'], reason: `${FORMULA}: the sort is by the formula column` },
  { fixture: '03-records-read', step: 'typed-errors', paths: ['body.records[*].fields.PerUnit'], reason: FORMULA },
  { fixture: '03-records-read', step: 'list-post-hidden-typed', paths: ['body.records[*].fields.PerUnit'], reason: FORMULA },
  { fixture: '03-records-read', step: 'data-get', paths: ['body.PerUnit'], reason: FORMULA },
  { fixture: '03-records-read', step: 'data-get-filter-sort-limit', paths: ['body.PerUnit'], reason: FORMULA },
  { fixture: '03-records-read', step: 'columns-hidden-after-display', paths: ['body.columns'], reason: DISPLAY },
  ...formulaCells('03-records-read', ['records-hidden-after-display', 'refs-after-owner-delete'], ['PerUnit', 'gristHelper_Display']).map((d) => ({
    ...d,
    reason: `${FORMULA}; ${DISPLAY}`,
  })),
  { fixture: '03-records-read', step: 'sql-ref-after-display', paths: ['status', 'body'], reason: DISPLAY },
  {
    fixture: '03-records-read',
    step: 'final_state',
    paths: [
      'columns.Items.columns',
      'records.Items.records[*].fields.PerUnit',
      'records.Items.records[*].errors.PerUnit',
      'records.Items.records[*].fields.gristHelper_Display',
      'records.Items.records[*].errors.gristHelper_Display',
    ],
    reason: `${FORMULA}; ${DISPLAY}`,
  },
  // 04-records-update-delete
  ...formulaCells('04-records-update-delete', ['get-after-failed-patch', 'get-after-patches', 'get-dup-after-first', 'get-dup-after-all-none', 'get-final'], ['Value']),
  {
    fixture: '04-records-update-delete',
    step: 'put-require-formula-column',
    paths: ['body.recordIds', 'body.updateRecordIds'],
    reason: `${FORMULA}: the require is on the formula column`,
  },
  {
    fixture: '04-records-update-delete',
    step: 'get-after-puts',
    paths: ['body.records[*].fields.Value', 'body.records[*].errors.Value', 'body.records[*].fields.Name'],
    reason: `${FORMULA}; Name differs because put-require-formula-column matched on a formula value`,
  },
  { fixture: '04-records-update-delete', step: 'ids-before-delete-last', paths: ['body.Value'], reason: FORMULA },
  {
    fixture: '04-records-update-delete',
    step: 'put-require-formula-column',
    paths: ['status', 'body', 'headers.cache-control'],
    reason:
      `${FORMULA}: matching on a formula column needs its computed values, so the embedded engine refuses ` +
      'with a clear 400 instead of matching (and silently updating) the wrong rows',
  },
  { fixture: '04-records-update-delete', step: 'final_state', paths: ['records.Stock.records[*].fields.Value', 'records.Stock.records[*].errors.Value'], reason: FORMULA },
  // 05-sql
  {
    fixture: '05-sql',
    step: 'get-select-star',
    paths: ['body.records[*].fields.AgeDouble', 'body.records[*].fields.Broken', 'body.records[*].fields.OwnerName', 'body.records[*].fields.Extra'],
    reason: SQL_BLOB,
  },
  {
    fixture: '05-sql',
    step: 'final_state',
    paths: ['AgeDouble', 'Broken', 'OwnerName'].flatMap((c) => [`records.Pets.records[*].fields.${c}`, `records.Pets.records[*].errors.${c}`]),
    reason: FORMULA,
  },
  // 06-columns
  ...formulaCells('06-columns', ['records-after-post'], ['TitleUpper']),
  ...formulaCells('06-columns', ['records-after-formula-columns', 'records-after-numeric', 'records-after-conversions'], ['BadF', 'Len', 'TitleUpper']),
  {
    fixture: '06-columns',
    step: 'columns-after-put',
    paths: ['body.columns[3].fields.formula'],
    unordered: ['body.columns'],
    reason: `${ORDER}; the unparsable formula "$Title +" is left unrenamed by Grist (index after sorting by id)`,
  },
  { fixture: '06-columns', step: 'columns-after-replaceall', paths: [], unordered: ['body.columns'], reason: ORDER },
  { fixture: '06-columns', step: 'final_state', paths: [], unordered: ['columns.*.columns'], reason: ORDER },
  // SQL storage of alt text, converted cells and Any lists/bools (marshalled blobs in Grist)
  {
    fixture: '02-records-write',
    step: 'sql-types-storage',
    paths: [
      'body.records[2].fields.Date',
      'body.records[2].fields.tDate',
      'body.records[7].fields.Date',
      'body.records[7].fields.tDate',
      'body.records[12].fields.Int',
      'body.records[12].fields.tInt',
      'body.records[14].fields.Int',
      'body.records[14].fields.tInt',
      'body.records[17].fields.Any',
      'body.records[24].fields.Ref',
      'body.records[26].fields.Num',
      'body.records[26].fields.Int',
      'body.records[26].fields.ChoiceList',
      'body.records[26].fields.Ref',
      'body.records[26].fields.Any',
      'body.records[26].fields.tNum',
    ],
    reason: SQL_BLOB,
  },
  {
    fixture: '05-sql',
    step: 'get-storage-types',
    paths: [
      'body.records[0].fields.tBroken',
      'body.records[2].fields.tBroken',
      'body.records[3].fields.tBroken',
    ],
    reason: `${FORMULA}: typeof() of the formula column Broken`,
  },
  {
    fixture: '06-columns',
    step: 'sql-after-conversions',
    paths: [
      'body.records[0].fields.Published',
      'body.records[0].fields.tPublished',
      'body.records[0].fields.Flag',
      'body.records[0].fields.Rating',
      'body.records[0].fields.tRating',
      'body.records[1].fields.Flag',
      'body.records[1].fields.Rating',
      'body.records[1].fields.tRating',
      'body.records[2].fields.Flag',
      'body.records[2].fields.Rating',
      'body.records[2].fields.tRating',
    ],
    reason: SQL_BLOB,
  },
  {
    fixture: '06-columns',
    step: 'sql-after-conversions-new-row',
    paths: [
      'body.records[0].fields.Published',
      'body.records[0].fields.tPublished',
      'body.records[0].fields.Flag',
      'body.records[0].fields.tFlag',
      'body.records[1].fields.Flag',
      'body.records[1].fields.tFlag',
      'body.records[2].fields.Flag',
      'body.records[2].fields.tFlag',
    ],
    reason: SQL_BLOB,
  },
  // 07-attachments
  {
    fixture: '07-attachments',
    step: 'download-unicode-no-ext',
    paths: ['headers.content-disposition'],
    reason:
      'Grist sends the mangled non-ASCII name characters as the single byte 0xFD; Hono\'s Node adapter writes header values as UTF-8, so the same "ý" arrives as two bytes',
  },
  // 09-apply
  ...formulaCells('09-apply', ['read-tasks', 'read-after-replace'], ['Summary']),
  { fixture: '09-apply', step: 'final_state', paths: ['records.Tasks.records[*].fields.Summary', 'records.Tasks.records[*].errors.Summary'], reason: FORMULA },
];
