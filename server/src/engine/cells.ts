/**
 * Cell encoding of the embedded engine: API values <-> SQLite values, following Grist's parsing and
 * conversion rules (grist-api.md sections 5.2, 5.3, 5.5, 3.3, 4.7). Pure functions, no SQLite.
 *
 * Storage model (the store relies on it): data columns have no type affinity, so what we bind is what we
 * read back. Text/Choice -> text; Numeric/Int/Ref/Date/DateTime/ManualSortPos -> numbers; Bool -> 0/1;
 * ChoiceList/RefList/Attachments -> JSON text of the list without the `"L"` (empty list -> null). Alt text
 * (a value that does not fit its column) is stored as text. Anything that cannot be stored as a plain value
 * of the column's kind (error cells, booleans/lists in `Any`, alt text in a list column that would itself
 * read as a JSON list, encoded values Grist keeps as objects) is stored as a BLOB holding the UTF-8 JSON
 * of the Grist-encoded value: our documented stand-in for Grist's marshalled blobs.
 */
import { Buffer } from 'node:buffer';
import type { CellValue } from '../backend/types.js';
import type { ColType } from './coltypes.js';

/** What better-sqlite3 binds/returns. */
export type StoredValue = number | bigint | string | Uint8Array | null;

/** An error cell value once decoded: the record reads `null` and `errors[colId] = name`. */
export class CellError {
  constructor(
    readonly name: string,
    readonly message?: string,
    /** Further elements of Grist's `["E", name, message, ...]` encoding, kept so nothing is lost. */
    readonly details?: readonly unknown[],
  ) {}

  /** Grist's encoding of this error: `["E", name]` or `["E", name, message, ...details]`. */
  toCellValue(): [string, ...unknown[]] {
    const out: [string, ...unknown[]] = ['E', this.name];
    if (this.message !== undefined || (this.details && this.details.length > 0)) { out.push(this.message ?? ''); }
    if (this.details) { out.push(...this.details); }
    return out;
  }
}

/** Context of one write. */
export interface EncodeContext {
  /** Grist's `noparse`: ChoiceList/RefList/Ref strings are not parsed (section 5.3). */
  noparse?: boolean;
  /** Ref columns with a visibleCol: the row id whose visible value equals `text`, or undefined. */
  lookupRef?: (text: string) => number | undefined;
}

// ------------------------------------------------------------------------------------------------------
// Python formatting (Grist's data engine is Python: alt text and Text conversions use str()/repr()).

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO_53 = 2 ** 53;

/** True when Grist's JS->Python marshalling sends `n` as a Python int (an int32), not a float. */
function isShortInt(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX;
}

function padExp(exp: number): string {
  const e = Math.abs(exp);
  return `${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
}

/** Python's `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16. */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) { return 'nan'; }
  if (!Number.isFinite(n)) { return n > 0 ? 'inf' : '-inf'; }
  if (n === 0) { return Object.is(n, -0) ? '-0.0' : '0.0'; }
  const [mant = '0', expStr = '0'] = n.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) { return `${mant}e${padExp(exp)}`; }
  const digits = mant.replace('-', '').replace('.', '');
  const sign = n < 0 ? '-' : '';
  if (exp < 0) { return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`; }
  if (digits.length <= exp + 1) { return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`; }
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Python's `'%.15g' % n`. */
function formatG15(n: number): string {
  if (!Number.isFinite(n)) { return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf'; }
  const e = n.toExponential(14);
  const [mant = '0', expStr = '0'] = e.split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 15) { return `${stripZeros(mant)}e${padExp(exp)}`; }
  return stripZeros(n.toFixed(14 - exp));
}

/** Python's `str()` of a JS number as Grist's engine receives it (int32 -> int, anything else -> float). */
export function pyNumberStr(n: number): string {
  return isShortInt(n) ? String(n === 0 ? 0 : n) : pyFloatRepr(n);
}

/** What Grist's `Text` type makes of a number: integers without `.0` (up to 2^53), else `%.15g`. */
function textOfNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < TWO_53) { return String(n === 0 ? 0 : n); }
  return formatG15(n);
}

// eslint-disable-next-line no-control-regex
const PY_ESCAPES = /[\\\n\r\t\x00-\x1f\x7f]/g;

/** Python's `repr(str)`. */
function pyStrRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let body = s.replace(PY_ESCAPES, (c) => {
    switch (c) {
      case '\\': return '\\\\';
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    }
  });
  if (q === "'") { body = body.replace(/'/g, "\\'"); }
  return q + body + q;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** Python's `str(date)`: `YYYY-MM-DD` of the UTC day of `ts` seconds. */
function pyDateStr(ts: number): string {
  const d = new Date(Math.floor(ts / 86400) * 86400000);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** Python's `str(datetime)` of an aware datetime: `YYYY-MM-DD HH:MM:SS[.ffffff]+HH:MM` in `tz`. */
function pyDateTimeStr(ts: number, tz: string): string {
  const whole = Math.floor(ts);
  const offset = tzOffsetSeconds(tz, whole * 1000);
  const d = new Date((whole + offset) * 1000);
  const micro = Math.round((ts - whole) * 1e6);
  const frac = micro > 0 ? `.${String(micro).padStart(6, '0')}` : '';
  const abs = Math.abs(offset);
  const off = `${offset < 0 ? '-' : '+'}${pad2(Math.floor(abs / 3600))}:${pad2(Math.floor((abs % 3600) / 60))}`
    + (abs % 60 ? `:${pad2(abs % 60)}` : '');
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} `
    + `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}${frac}${off}`;
}

/** Python's `repr()` of a value as Grist's engine would hold it after decoding the JSON cell encoding. */
function pyRepr(v: unknown): string {
  if (v === null || v === undefined) { return 'None'; }
  if (typeof v === 'boolean') { return v ? 'True' : 'False'; }
  if (typeof v === 'number') { return pyNumberStr(v); }
  if (typeof v === 'string') { return pyStrRepr(v); }
  if (Array.isArray(v)) {
    const code: unknown = v[0];
    if (code === 'L') { return `[${v.slice(1).map(pyRepr).join(', ')}]`; }
    if (code === 'O' && isPlainObject(v[1])) { return dictRepr(v[1]); }
    if (code === 'd' && typeof v[1] === 'number') {
      const [y, m, d] = pyDateStr(v[1]).split('-').map(Number);
      return `datetime.date(${y}, ${m}, ${d})`;
    }
    return `[${v.map(pyRepr).join(', ')}]`;
  }
  if (isPlainObject(v)) { return dictRepr(v); }
  return String(v);
}

function dictRepr(o: Record<string, unknown>): string {
  return `{${Object.entries(o).map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Python's `str()` of an API cell value (strings as is, dates in their `str()` form, the rest as repr). */
function pyStr(v: CellValue): string {
  if (typeof v === 'string') { return v; }
  if (Array.isArray(v)) {
    if (v[0] === 'd' && typeof v[1] === 'number') { return pyDateStr(v[1]); }
    if (v[0] === 'D' && typeof v[1] === 'number') { return pyDateTimeStr(v[1], typeof v[2] === 'string' ? v[2] : 'UTC'); }
  }
  return pyRepr(v);
}

// ------------------------------------------------------------------------------------------------------
// Time zones and dates.

const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatterFor(tz: string): Intl.DateTimeFormat | null {
  let f = formatters.get(tz);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
      });
    } catch {
      f = null; // Grist falls back to UTC for an unknown zone.
    }
    formatters.set(tz, f);
  }
  return f;
}

/**
 * Offsets already computed, per zone, by 15-minute bucket of the instant: Intl formatting costs ~10 us,
 * and zone transitions fall on quarter hours, so one bucket has one offset. Bounded so memory stays small.
 */
const offsetCache = new Map<string, Map<number, number>>();
const OFFSET_BUCKET_MS = 15 * 60 * 1000;
const OFFSET_CACHE_MAX = 20000;

/** Offset of `tz` from UTC, in seconds, at instant `epochMs`. */
function tzOffsetSeconds(tz: string, epochMs: number): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') { return 0; }
  const bucket = Math.floor(epochMs / OFFSET_BUCKET_MS);
  let cache = offsetCache.get(tz);
  const hit = cache?.get(bucket);
  if (hit !== undefined) { return hit; }
  const offset = computeOffsetSeconds(tz, bucket * OFFSET_BUCKET_MS);
  if (!cache) { cache = new Map(); offsetCache.set(tz, cache); }
  if (cache.size >= OFFSET_CACHE_MAX) { cache.clear(); }
  cache.set(bucket, offset);
  return offset;
}

function computeOffsetSeconds(tz: string, ms: number): number {
  const f = formatterFor(tz);
  if (!f) { return 0; }
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, bc = false;
  for (const p of f.formatToParts(new Date(ms))) {
    switch (p.type) {
      case 'year': y = Number(p.value); break;
      case 'month': mo = Number(p.value); break;
      case 'day': d = Number(p.value); break;
      case 'hour': h = Number(p.value); break;
      case 'minute': mi = Number(p.value); break;
      case 'second': s = Number(p.value); break;
      case 'era': bc = p.value.startsWith('B'); break;
      default: break;
    }
  }
  const wall = utcMs(bc ? 1 - y : y, mo, d, h, mi, s);
  return Math.round((wall - ms) / 1000);
}

/** Date.UTC without the two-digit-year quirk. */
function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  if (y >= 100) { return Date.UTC(y, mo - 1, d, h, mi, s); }
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return date.getTime();
}

/** Epoch ms of a wall-clock time (given as if it were UTC) in `tz`. */
function wallToEpochMs(tz: string, wallMs: number): number {
  const off1 = tzOffsetSeconds(tz, wallMs);
  const guess = wallMs - off1 * 1000;
  const off2 = tzOffsetSeconds(tz, guess);
  return off2 === off1 ? guess : wallMs - off2 * 1000;
}

const ISO_RE = /^\s*([+-]?\d{4,6})-(\d{1,2})-(\d{1,2})(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i;
const SLASH_YMD_RE = /^\s*(\d{4})\/(\d{1,2})\/(\d{1,2})\s*$/;
const MONTH_FIRST_RE = /^\s*([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\s*$/;
const DAY_FIRST_RE = /^\s*(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\s*$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const FULL_MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september',
  'october', 'november', 'december'];

function monthIndex(name: string): number {
  const n = name.toLowerCase();
  const full = FULL_MONTHS.indexOf(n);
  if (full >= 0) { return full + 1; }
  const short = n === 'sept' ? 8 : MONTHS.indexOf(n);
  return short >= 0 ? short + 1 : 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validYmd(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) { return false; }
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1] ?? 31);
}

interface ParsedDate {
  y: number; m: number; d: number;
  /** Seconds since midnight (fractions kept), when a time was given. */
  time?: number;
  /** Offset in seconds east of UTC, when one was given. */
  offset?: number;
}

function parseIso(s: string): ParsedDate | undefined {
  const m = ISO_RE.exec(s);
  if (!m) { return undefined; }
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  if (!validYmd(y, mo, d)) { return undefined; }
  const out: ParsedDate = { y, m: mo, d };
  if (m[4] !== undefined) {
    const h = Number(m[4]), mi = Number(m[5]), sec = m[6] === undefined ? 0 : Number(m[6]);
    if (h > 23 || mi > 59 || sec > 59) { return undefined; }
    const frac = m[7] === undefined ? 0 : Number(`0.${m[7]}`);
    out.time = h * 3600 + mi * 60 + sec + frac;
  }
  const z = m[8];
  if (z !== undefined) {
    if (out.time === undefined) { return undefined; } // An offset without a time is not ISO.
    if (z.toUpperCase() === 'Z') { out.offset = 0; } else {
      const sign = z.startsWith('-') ? -1 : 1;
      const digits = z.slice(1).replace(':', '');
      out.offset = sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2) || '0') * 60);
    }
  }
  return out;
}

/** The date formats the API's date parser accepts beyond ISO (default format YYYY-MM-DD, en-US). */
function parseLooseDate(s: string): ParsedDate | undefined {
  let m = SLASH_YMD_RE.exec(s);
  if (m) {
    const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
    return validYmd(y, mo, d) ? { y, m: mo, d } : undefined;
  }
  m = MONTH_FIRST_RE.exec(s);
  if (m) {
    const mo = monthIndex(m[1] ?? ''), d = Number(m[2]), y = Number(m[3]);
    return mo && validYmd(y, mo, d) ? { y, m: mo, d } : undefined;
  }
  m = DAY_FIRST_RE.exec(s);
  if (m) {
    const d = Number(m[1]), mo = monthIndex(m[2] ?? ''), y = Number(m[3]);
    return mo && validYmd(y, mo, d) ? { y, m: mo, d } : undefined;
  }
  return undefined;
}

function parseDateString(s: string, noparse: boolean): ParsedDate | undefined {
  return parseIso(s) ?? (noparse ? undefined : parseLooseDate(s));
}

/** A Date cell from a string: the written calendar day at UTC midnight (any time part is dropped). */
function dateFromString(s: string, noparse: boolean): number | undefined {
  const p = parseDateString(s, noparse);
  return p ? utcMs(p.y, p.m, p.d) / 1000 : undefined;
}

/** A DateTime cell from a string: exact with an offset, else read in the column's time zone. */
function dateTimeFromString(s: string, tz: string, noparse: boolean): number | undefined {
  const p = parseDateString(s, noparse);
  if (!p) {
    if (!noparse) {
      const n = pyFloat(s); // A numeric string is taken as epoch seconds (02 read-types `date-c`).
      if (n !== undefined) { return n; }
    }
    return undefined;
  }
  const dayMs = utcMs(p.y, p.m, p.d);
  const wholeTime = Math.floor(p.time ?? 0);
  const frac = (p.time ?? 0) - wholeTime;
  const wallMs = dayMs + wholeTime * 1000;
  const epochMs = p.offset !== undefined ? wallMs - p.offset * 1000 : wallToEpochMs(tz, wallMs);
  return frac ? Math.round((epochMs / 1000 + frac) * 1e6) / 1e6 : epochMs / 1000;
}

/** Midnight in `tz` of the UTC calendar day of `ts` (Grist's `date_to_ts(date, tz)`). */
function dateToTsInZone(ts: number, tz: string): number {
  const dayMs = Math.floor(ts / 86400) * 86400000;
  return wallToEpochMs(tz, dayMs) / 1000;
}

// ------------------------------------------------------------------------------------------------------
// Numbers and lists from strings.

const PY_FLOAT_RE = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const LOCALE_NUMBER_RE = /^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?(?:[eE][+-]?\d+)?$/;
const HAS_DIGIT = /\d/;
const DIGITS_RE = /^\d+$/;

/** Python's `float(str)` for finite values (what the engine itself converts, even with `noparse`). */
function pyFloat(s: string): number | undefined {
  return PY_FLOAT_RE.test(s) ? Number(s.trim()) : undefined;
}

/** The API's number parser (en-US): thousands separators, `$`, `%`, `(negative)`. */
function parseLocaleNumber(s: string): number | undefined {
  let str = s.trim();
  let negate = false;
  if (str.length > 2 && str.startsWith('(') && str.endsWith(')')) { negate = true; str = str.slice(1, -1).trim(); }
  let percent = false;
  if (str.endsWith('%')) { percent = true; str = str.slice(0, -1).trim(); }
  str = str.replace(/^([+-]?)\s*\$\s*/, '$1');
  if (!HAS_DIGIT.test(str) || !LOCALE_NUMBER_RE.test(str)) { return undefined; }
  let n = Number(str.replace(/,/g, ''));
  if (!Number.isFinite(n)) { return undefined; }
  if (percent) { n /= 100; }
  return negate ? -n : n;
}

function numberFromString(s: string, noparse: boolean): number | undefined {
  const n = pyFloat(s);
  if (n !== undefined) { return Number.isFinite(n) ? n : undefined; }
  return noparse ? undefined : parseLocaleNumber(s);
}

/** Splits one CSV line (double quotes group, `""` escapes a quote); items trimmed, empty ones dropped. */
function splitCsv(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') { cur += '"'; i++; } else { quoted = false; }
      } else { cur += c; }
    } else if (c === '"' && cur.trim() === '') {
      quoted = true;
      cur = '';
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else { cur += c; }
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

function tryJsonArray(s: string): unknown[] | undefined {
  if (!s.startsWith('[')) { return undefined; }
  try {
    const v: unknown = JSON.parse(s);
    return Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------------------------------------------
// Storage primitives.

const utf8 = new TextDecoder();

/** A value kept whole as a BLOB of its JSON encoding. */
function blob(v: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(v), 'utf8');
}

/** Stores alt text: plain text, except in list columns where text that reads as a JSON list would be
 *  mistaken for a list on the way back, so it is kept as a BLOB. */
function alt(t: ColType, s: string): StoredValue {
  if ((t.base === 'ChoiceList' || t.base === 'RefList' || t.base === 'Attachments') && tryJsonArray(s) !== undefined) {
    return blob(s);
  }
  return s;
}

function listText(items: readonly unknown[]): string | null {
  return items.length === 0 ? null : JSON.stringify(items);
}

/** Grist's `Id.do_convert` on one element: falsy -> 0, an int32 -> itself, anything else fails. */
function refId(v: unknown): number | undefined {
  if (v === null || v === false || v === 0 || v === '') { return 0; }
  if (v === true) { return 1; }
  return typeof v === 'number' && isShortInt(v) ? v : undefined;
}

/** Encodes a CellError (an error cell) for storage: used by the store for formula columns' cells. */
export function encodeError(err: CellError): StoredValue {
  return blob(err.toCellValue());
}

// ------------------------------------------------------------------------------------------------------
// Encoding.

function encodeNull(t: ColType): StoredValue {
  switch (t.base) {
    case 'Bool': case 'Ref': case 'Id': return 0;
    default: return null;
  }
}

function encodeString(t: ColType, s: string, ctx: EncodeContext | undefined): StoredValue {
  const noparse = ctx?.noparse === true;
  switch (t.base) {
    case 'Any': case 'Text': case 'Choice': return s;
    case 'Numeric': case 'ManualSortPos': case 'PositionNumber': {
      if (s === '') { return null; }
      const n = numberFromString(s, noparse);
      return n === undefined ? s : n;
    }
    case 'Int': {
      if (s === '') { return null; }
      const n = numberFromString(s, noparse);
      if (n === undefined) { return s; }
      const i = Math.trunc(n);
      if (i >= INT32_MIN && i <= INT32_MAX) { return i === 0 ? 0 : i; }
      // Out of range: the engine keeps the value it received as text (a parsed number arrives as a float).
      return noparse ? s : pyNumberStr(n);
    }
    case 'Bool': {
      if (s === '') { return 0; }
      const l = s.toLowerCase();
      if (l === 'true' || l === 'yes' || l === '1') { return 1; }
      if (l === 'false' || l === 'no' || l === '0') { return 0; }
      return s;
    }
    case 'Date': {
      if (s === '') { return null; }
      return dateFromString(s, noparse) ?? s;
    }
    case 'DateTime': {
      if (s === '') { return null; }
      return dateTimeFromString(s, t.timezone ?? 'UTC', noparse) ?? s;
    }
    case 'ChoiceList': {
      if (s === '') { return null; }
      const arr = tryJsonArray(s);
      if (arr) { return listText(arr.map((x) => pyStr(x as CellValue))); }
      if (noparse) { return s; }
      return listText(splitCsv(s));
    }
    case 'Ref': case 'Id': {
      if (s === '') { return 0; }
      if (!noparse) {
        if (ctx?.lookupRef) { return ctx.lookupRef(s) ?? s; }
        const trimmed = s.trim();
        if (DIGITS_RE.test(trimmed)) {
          const n = Number(trimmed);
          if (n <= INT32_MAX) { return n; }
        }
      }
      return s;
    }
    case 'RefList': case 'Attachments': {
      if (s === '') { return null; }
      const arr = tryJsonArray(s);
      if (arr) {
        const ids: number[] = [];
        for (const x of arr) {
          const id = refId(x);
          if (id === undefined) { return blob(s); }
          ids.push(id);
        }
        return listText(ids);
      }
      if (noparse) { return s; }
      const ids: number[] = [];
      for (const item of splitCsv(s)) {
        let id: number | undefined;
        if (ctx?.lookupRef) { id = ctx.lookupRef(item); } else if (DIGITS_RE.test(item)) {
          const n = Number(item);
          id = n <= INT32_MAX ? n : undefined;
        }
        if (id === undefined) { return s; }
        ids.push(id);
      }
      return listText(ids);
    }
  }
}

function encodeNumber(t: ColType, n: number): StoredValue {
  switch (t.base) {
    case 'Any': case 'Numeric': case 'Date': case 'DateTime': case 'ManualSortPos': case 'PositionNumber':
      return n;
    case 'Text': case 'Choice': return textOfNumber(n);
    case 'Int': {
      const i = Math.trunc(n);
      if (i >= INT32_MIN && i <= INT32_MAX) { return i === 0 ? 0 : i; }
      return pyNumberStr(n);
    }
    case 'Bool': return n === 0 ? 0 : 1;
    case 'ChoiceList': return n === 0 ? null : pyNumberStr(n);
    case 'Ref': case 'Id': return isShortInt(n) ? (n === 0 ? 0 : n) : pyNumberStr(n);
    case 'RefList': case 'Attachments':
      // A single row id is a one-element list (07 read-linked: `1` -> ["L", 1]).
      if (n === 0) { return null; }
      return isShortInt(n) ? JSON.stringify([n]) : pyNumberStr(n);
  }
}

function encodeBool(t: ColType, b: boolean): StoredValue {
  switch (t.base) {
    case 'Any': return blob(b);
    case 'Text': case 'Choice': return b ? 'True' : 'False';
    case 'ChoiceList': case 'RefList': case 'Attachments': return b ? 'True' : null;
    default: return b ? 1 : 0; // Python's bool is an int: Numeric/Int/Date/Ref/Bool all take 1/0.
  }
}

function encodeList(t: ColType, v: [string, ...unknown[]], items: unknown[]): StoredValue {
  switch (t.base) {
    case 'Any': return blob(v);
    case 'Text': case 'Choice': return pyRepr(v);
    case 'Bool': return items.length === 0 ? 0 : pyRepr(v);
    case 'Ref': case 'Id': return items.length === 0 ? 0 : pyRepr(v);
    case 'ChoiceList': return listText(items.map((x) => pyStr(x as CellValue)));
    case 'RefList': case 'Attachments': {
      const ids: number[] = [];
      for (const x of items) {
        const id = refId(x);
        if (id === undefined) { return alt(t, pyRepr(v)); }
        ids.push(id);
      }
      return listText(ids);
    }
    default: return pyRepr(v);
  }
}

function encodeEncoded(t: ColType, v: [string, ...unknown[]], ctx: EncodeContext | undefined): StoredValue {
  const code = v[0];
  if (code === 'E' || t.base === 'Any') { return blob(v); }
  switch (code) {
    case 'L': return encodeList(t, v, v.slice(1));
    case 'd': case 'D': {
      const ts = v[1];
      if (typeof ts !== 'number') { return blob(v); }
      if (t.base === 'Date') { return ts; }
      if (t.base === 'DateTime') { return code === 'd' ? dateToTsInZone(ts, t.timezone ?? 'UTC') : ts; }
      return alt(t, pyStr(v));
    }
    case 'O': {
      if (!isPlainObject(v[1])) { return blob(v); }
      return alt(t, pyRepr(v));
    }
    case 'R': {
      // Grist stores a RecordStub here (a garbage repr); we keep the row id in a Ref column.
      if ((t.base === 'Ref') && typeof v[2] === 'number') { return encodeNumber(t, v[2]); }
      return blob(v);
    }
    case 'r': {
      if ((t.base === 'RefList' || t.base === 'Attachments') && Array.isArray(v[2])) {
        return encodeList(t, ['L', ...(v[2] as unknown[])], v[2] as unknown[]);
      }
      return blob(v);
    }
    default:
      void ctx;
      return blob(v);
  }
}

/** API value -> SQLite value, applying Grist's parsing/conversion rules of sections 5.2, 5.3, 5.5. */
export function encodeCell(t: ColType, value: CellValue, ctx?: EncodeContext): StoredValue {
  switch (typeof value) {
    case 'string': return encodeString(t, value, ctx);
    case 'number': return encodeNumber(t, value);
    case 'boolean': return encodeBool(t, value);
    default:
      if (value === null) { return encodeNull(t); }
      return encodeEncoded(t, value, ctx);
  }
}

// ------------------------------------------------------------------------------------------------------
// Decoding.

function decodeBlob(stored: Uint8Array): CellValue | CellError {
  let v: unknown;
  try {
    v = JSON.parse(utf8.decode(stored));
  } catch {
    return new CellError('UnmarshallableValue', 'cell holds bytes that are not a stored cell value');
  }
  if (Array.isArray(v)) {
    if (v[0] === 'E') {
      const name = typeof v[1] === 'string' ? v[1] : 'Error';
      const message = v.length > 2 ? String(v[2]) : undefined;
      return new CellError(name, message, v.length > 3 ? v.slice(3) : undefined);
    }
    return v as [string, ...unknown[]];
  }
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') { return v; }
  return ['O', v];
}

function decodeListText(s: string): CellValue {
  if (s.charCodeAt(0) !== 91 /* [ */) { return s; }
  try {
    const items: unknown = JSON.parse(s);
    return Array.isArray(items) ? ['L', ...(items as unknown[])] : s;
  } catch {
    return s;
  }
}

/** SQLite value -> API value (or CellError). Must be fast: called for every cell of every read. */
export function decodeCell(t: ColType, stored: StoredValue): CellValue | CellError {
  if (stored === null) { return null; }
  switch (typeof stored) {
    case 'number': return t.base === 'Bool' ? stored !== 0 : stored;
    case 'string':
      switch (t.base) {
        case 'ChoiceList': case 'RefList': case 'Attachments': return decodeListText(stored);
        default: return stored;
      }
    case 'bigint': {
      const n = Number(stored);
      return t.base === 'Bool' ? n !== 0 : n;
    }
    default: return decodeBlob(stored);
  }
}

// ------------------------------------------------------------------------------------------------------
// Request validation, type guessing, conversions, typed output.

/** Grist's `GristObjCode` values: the first element of an encoded cell value. */
const GRIST_OBJ_CODES: ReadonlySet<string> = new Set(['L', 'l', 'O', 'D', 'd', 'S', 'C', 'R', 'r', 'E', 'P', 'U', 'V']);

/**
 * Checks a request cell value against Grist's JSON cell grammar (section 5.1). Returns undefined when
 * valid, else the reason after the path: `is not a GristObjCode` for a list without a type code,
 * `is not a CellValue` for anything else. {@link cellValueErrors} gives Grist's full message parts.
 */
export function checkCellValue(value: unknown): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') { return undefined; }
  if (typeof value === 'number') { return Number.isFinite(value) ? undefined : 'is not a CellValue'; }
  if (Array.isArray(value)) {
    const code: unknown = value[0];
    return typeof code === 'string' && GRIST_OBJ_CODES.has(code) ? undefined : 'is not a GristObjCode';
  }
  return 'is not a CellValue';
}

/**
 * Grist's invalid-payload message parts for a bad cell value at `path` (e.g. `body.records[0].fields.X`),
 * as its validator words them (02 add-list-without-L, 02 add-object-value); `[]` when the value is valid.
 * The caller prefixes the record-level part (`body.records[0] is not a NewRecord`) and joins with `; `.
 */
export function cellValueErrors(path: string, value: unknown): string[] {
  const reason = checkCellValue(value);
  if (reason === undefined) { return []; }
  const parts = [`${path} is not a CellValue`, `${path} is none of number, string, boolean, null, 1 more`];
  if (reason === 'is not a GristObjCode') {
    parts.push(`${path}[0] is not a GristObjCode`, `${path}[0] is not a valid enum value`);
  }
  return parts;
}

/** The widgetOptions Grist gives a column whose type it guessed as `Date` (06 columns-authors-after-write). */
export const GUESSED_DATE_WIDGET_OPTIONS =
  '{"dateFormat": "YYYY-MM-DD", "isCustomDateFormat": false, "isCustomTimeFormat": true, "timeFormat": ""}';

const ISO_DATE_ONLY_RE = /^\s*\d{4}-\d{1,2}-\d{1,2}\s*$/;

/**
 * Type Grist guesses for an empty `Any` formula column on its first write (06 fixtures), e.g. 'Date',
 * 'Numeric', 'Text', 'Bool'. Empty values (null, '') carry no information; with nothing else it stays
 * 'Any'. All booleans -> Bool; all numbers or numeric strings -> Numeric; all ISO dates -> Date
 * ({@link GUESSED_DATE_WIDGET_OPTIONS}); anything else (mixed kinds, lists) -> Text.
 */
export function guessColType(values: readonly CellValue[]): string {
  let bools = 0, numbers = 0, dates = 0, others = 0;
  for (const v of values) {
    if (v === null || v === '') { continue; }
    if (typeof v === 'boolean') { bools++; } else if (typeof v === 'number') { numbers++; } else if (typeof v === 'string') {
      if (numberFromString(v, false) !== undefined) { numbers++; } else if (ISO_DATE_ONLY_RE.test(v) && parseIso(v)) { dates++; } else { others++; }
    } else { others++; }
  }
  const total = bools + numbers + dates + others;
  if (total === 0) { return 'Any'; }
  if (bools === total) { return 'Bool'; }
  if (numbers === total) { return 'Numeric'; }
  if (dates === total) { return 'Date'; }
  return 'Text';
}

/**
 * Converts a stored cell when its column type changes (section 3.3 table). As Grist's engine does on
 * ModifyColumn: the old value is read in the old type and converted by the new type's own rules (no
 * API-side parsing, as with `noparse`): `"12.5"` -> 12.5, `"scifi,classic"` stays text in a ChoiceList.
 * Error cells stay errors.
 */
export function convertStoredCell(from: ColType, to: ColType, stored: StoredValue): StoredValue {
  const v = decodeCell(from, stored);
  if (v instanceof CellError) { return encodeError(v); }
  return encodeCell(to, v, CONVERT_CTX);
}

const CONVERT_CTX: EncodeContext = { noparse: true };

/** `cellFormat=typed` encoding of a decoded cell (section 4.7). */
export function typedCell(t: ColType, value: CellValue | CellError): CellValue {
  if (value instanceof CellError) { return value.toCellValue(); }
  switch (t.base) {
    case 'Date': return typeof value === 'number' ? ['d', value] : value;
    case 'DateTime': return typeof value === 'number' ? ['D', value, t.timezone ?? 'UTC'] : value;
    case 'Ref':
      if (typeof value === 'number') { return ['R', t.refTable ?? '', value]; }
      return value === null ? ['R', t.refTable ?? '', 0] : value;
    case 'RefList': case 'Attachments':
      if (value === null) { return ['r', t.refTable ?? '', []]; }
      if (Array.isArray(value) && value[0] === 'L') { return ['r', t.refTable ?? '', value.slice(1)]; }
      return value;
    case 'ChoiceList': return value === null ? ['L'] : value;
    default: return value;
  }
}
