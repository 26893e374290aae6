/**
 * Checks of request fields that Grist would refuse anyway, done before sending so the caller gets
 * INVALID_REQUEST naming the field and the valid values, instead of Grist's engine text
 * (`[Sandbox] AttributeError module 'grist' has no attribute 'Texty'`, `near ";": syntax error`).
 */
import { GatewayError } from '../errors.js';

/** Grist's column types (`app/common/gristTypes.ts`); Ref, RefList and DateTime take a suffix. */
const PLAIN_TYPES = ['Text', 'Numeric', 'Int', 'Bool', 'Date', 'DateTime', 'Choice', 'ChoiceList', 'Attachments', 'Any', 'Blob', 'Id', 'ManualSortPos', 'PositionNumber'];
const TYPE_PATTERN = new RegExp(`^(?:${PLAIN_TYPES.join('|')}|DateTime:.+|Ref:.+|RefList:.+)$`);
const VALID_TYPES = 'Text, Numeric, Int, Bool, Date, DateTime:<timezone>, Choice, ChoiceList, Ref:<table>, RefList:<table>, Attachments, Any';

/** Throws INVALID_REQUEST when `type` is not a Grist column type. */
export function checkColumnType(type: string, field: string): void {
  if (!TYPE_PATTERN.test(type)) {
    throw new GatewayError('INVALID_REQUEST', `${field}: "${type}" is not a Grist column type (valid: ${VALID_TYPES})`, { valid: VALID_TYPES.split(', ') });
  }
}

/**
 * Throws INVALID_REQUEST when `sql` holds more than one statement: a `;` followed by anything but
 * whitespace or comments, outside string literals, quoted identifiers and comments. Grist runs one.
 */
export function checkOneStatement(sql: string): void {
  let i = 0;
  let end = -1;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      i = sql.indexOf(close, i + 1);
      if (i < 0) return; // unterminated: let SQLite report it
      i += 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (c === ';') {
      if (end >= 0) return void fail();
      end = i;
      i += 1;
    } else {
      if (end >= 0 && !/\s/.test(c ?? '')) return void fail();
      i += 1;
    }
  }
  function fail(): never {
    throw new GatewayError('INVALID_REQUEST', 'query: sql_query runs exactly one SELECT (or WITH ... SELECT) statement; send each statement in its own call');
  }
}
