// @ts-check
/**
 * The child process of the SQL runner (`sql.ts`): runs read-only queries against one SQLite document file.
 *
 * It is plain ESM JavaScript with JSDoc types so that `node` runs it directly however the server itself
 * runs (tsx, vitest, a build). The parent forks it with `serialization: 'advanced'`, passes the file path
 * as `argv[2]` and its own pid as `argv[3]`, then sends one query at a time. Why a process:
 * better-sqlite3 is synchronous and has no interrupt API, so the only way to really stop a slow query is
 * to kill the process running it.
 *
 * Protocol (parent -> child): {@link QueryMessage}. Child -> parent: `{ type: 'ready' }` once the file is
 * open, `{ type: 'fatal', message }` if it cannot be opened, then one {@link ReplyMessage} per query.
 *
 * Safety does not depend on the parent's text checks: the connection is opened read-only with
 * `query_only`, and every statement must be a single reader statement that SQLite itself flags read-only.
 */
import Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';

/**
 * @typedef {object} QueryMessage
 * @property {number} id Correlates the reply.
 * @property {string} sql The user's statement, with Grist's one trailing `;` already stripped.
 * @property {unknown[]} args Positional arguments (Grist/node-sqlite3 semantics, see {@link bindValues}).
 * @property {number} deadlineMs Milliseconds after which this process kills itself if the parent has not
 *   (a last resort: the parent normally kills it first).
 * @property {number} maxRows Most rows the answer may have.
 * @property {number} maxBytes Most bytes (JSON size of the cells) the answer may have.
 */

/**
 * @typedef {{ id: number, ok: true, columns: string[], rows: unknown[][] }
 *   | { id: number, ok: false, status: number, message: string }} ReplyMessage
 */

/** Why a statement was refused: carries Grist's status and text to the parent. */
class QueryError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * Wraps the user's statement as a sub-select, as Grist does, so that anything but one SELECT/WITH query
 * is a syntax error. The newline lets a trailing `--` comment end before the closing parenthesis (Grist
 * would report "incomplete input" there; this is a deliberate, friendlier difference).
 * @param {string} sql
 */
function wrap(sql) {
  return `select * from (${sql}\n)`;
}

// ---------------------------------------------------------------------------------------------------
// Parameters. Grist (node-sqlite3) binds an args array by parameter *index*: args[0] goes to index 1
// whatever that parameter looks like (`?`, `?3`, `:name`, `@name`, `$name`). better-sqlite3 instead binds
// arrays to anonymous `?` only and named ones from an object. So the runner finds every parameter token
// the way SQLite's tokenizer does, computes SQLite's index for it, rewrites each one to an anonymous `?`
// and passes one value per occurrence. better-sqlite3 then checks that the number of `?` it sees equals
// the number of values, so a scanning mistake fails loudly instead of binding silently wrong.
// ---------------------------------------------------------------------------------------------------

/**
 * SQLite's IdChar(): letters, digits, `_`, `$` and every non-ASCII character.
 * @param {number} c UTF-16 code unit
 */
function isIdChar(c) {
  return (
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f || c === 0x24 || c >= 0x80
  );
}

/** @param {number} c */
function isDigit(c) {
  return c >= 0x30 && c <= 0x39;
}

/** @param {number} c SQLite's sqlite3Isspace: space, \t, \n, \v, \f, \r. */
function isSpace(c) {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * Finds the parameters of `sql` as SQLite's tokenizer and `sqlite3ExprAssignVarNumber` do.
 * @param {string} sql A statement that SQLite already prepared successfully.
 * @returns {{ rewritten: string, indexes: number[], count: number }} the text with every parameter
 *   replaced by `?`; the SQLite index of each occurrence, in text order; the statement's parameter count.
 */
function scanParameters(sql) {
  /** @type {Map<string, number>} */
  const named = new Map();
  /** @type {number[]} */
  const indexes = [];
  let count = 0;
  let out = '';
  let copiedUpTo = 0;
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 0x2d && sql.charCodeAt(i + 1) === 0x2d) {
      // -- comment to end of line
      const end = sql.indexOf('\n', i + 2);
      i = end < 0 ? n : end + 1;
    } else if (c === 0x2f && sql.charCodeAt(i + 1) === 0x2a) {
      // /* comment */ (unterminated runs to the end)
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === 0x27 || c === 0x22 || c === 0x60) {
      // 'string', "identifier", `identifier`: a doubled quote stays inside
      i++;
      for (;;) {
        const end = sql.indexOf(String.fromCharCode(c), i);
        if (end < 0) {
          i = n;
          break;
        }
        if (sql.charCodeAt(end + 1) === c) {
          i = end + 2;
          continue;
        }
        i = end + 1;
        break;
      }
    } else if (c === 0x5b) {
      // [identifier]
      const end = sql.indexOf(']', i + 1);
      i = end < 0 ? n : end + 1;
    } else if (c === 0x3f) {
      // ? or ?NNN
      let j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      let index;
      if (j > i + 1) {
        const token = sql.slice(i, j);
        index = named.get(token) ?? Number(sql.slice(i + 1, j));
        if (!named.has(token)) named.set(token, index);
        if (index > count) count = index;
      } else {
        index = ++count;
      }
      indexes.push(index);
      out += sql.slice(copiedUpTo, i) + '?';
      copiedUpTo = j;
      i = j;
    } else if (c === 0x24 || c === 0x40 || c === 0x3a || c === 0x23) {
      // $name @name :name #name, with SQLite's TCL extensions (`::` inside, `(...)` suffix)
      let j = i + 1;
      let idChars = 0;
      let illegal = false;
      while (j < n) {
        const d = sql.charCodeAt(j);
        if (isIdChar(d)) {
          idChars++;
          j++;
        } else if (d === 0x28 && idChars > 0) {
          do j++;
          while (j < n && !isSpace(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 0x29);
          if (j < n && sql.charCodeAt(j) === 0x29) j++;
          else illegal = true;
          break;
        } else if (d === 0x3a && sql.charCodeAt(j + 1) === 0x3a) {
          j += 2;
        } else {
          break;
        }
      }
      if (idChars === 0 || illegal) {
        // Not a parameter (SQLite would have refused the statement); just move on.
        i = j > i + 1 ? j : i + 1;
        continue;
      }
      const token = sql.slice(i, j);
      let index = named.get(token);
      if (index === undefined) {
        index = ++count;
        named.set(token, index);
      }
      indexes.push(index);
      out += sql.slice(copiedUpTo, i) + '?';
      copiedUpTo = j;
      i = j;
    } else if (isIdChar(c) && c !== 0x24) {
      // identifier, keyword or number: consumed whole so that `a$b` or `1e5` hide nothing
      let j = i + 1;
      while (j < n) {
        const d = sql.charCodeAt(j);
        if (isIdChar(d) || d === 0x2e) j++;
        else if ((d === 0x2b || d === 0x2d) && isDigit(c) && (sql.charCodeAt(j - 1) | 0x20) === 0x65) j++;
        else break;
      }
      i = j;
    } else {
      i++;
    }
  }
  return { rewritten: out + sql.slice(copiedUpTo), indexes, count };
}

/**
 * Converts one JSON argument to what SQLite receives from Grist: `true`/`false` as 1/0, whole numbers as
 * integers (better-sqlite3 would bind every number as a real), objects and arrays as NULL (they match
 * nothing, as in Grist), byte arrays as blobs.
 * @param {unknown} value
 * @returns {string | number | bigint | Buffer | null}
 */
function toBindable(value) {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isSafeInteger(value) ? BigInt(value) : value;
    case 'bigint':
      return value;
    case 'boolean':
      return value ? 1n : 0n;
    default:
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      return null;
  }
}

/**
 * The value of each parameter occurrence: missing arguments bind as NULL, as in Grist.
 * @param {number[]} indexes
 * @param {unknown[]} args
 */
function bindValues(indexes, args) {
  return indexes.map((index) => toBindable(args[index - 1]));
}

// ---------------------------------------------------------------------------------------------------
// Running a query
// ---------------------------------------------------------------------------------------------------

/**
 * Prepares `sql` and refuses anything that is not one read-only reader statement.
 * @param {Database.Database} db
 * @param {string} sql
 */
function prepareReadOnly(db, sql) {
  let stmt;
  try {
    stmt = db.prepare(sql);
  } catch (err) {
    throw toQueryError(err);
  }
  if (!stmt.reader || !stmt.readonly) throw new QueryError(400, 'only select statements are supported');
  return stmt;
}

/**
 * Maps a better-sqlite3 failure to Grist's status and text.
 * @param {unknown} err
 */
function toQueryError(err) {
  if (err instanceof QueryError) return err;
  if (err instanceof Database.SqliteError) {
    // The process's data limit reached (set by the parent): the query needs more memory than it may have.
    if (err.code === 'SQLITE_NOMEM' || err.code === 'SQLITE_TOOBIG') {
      return new QueryError(413, `SQL query needs more than the limit of ${MAX_MEMORY} bytes of memory (${err.code}); select less`);
    }
    return new QueryError(400, `${err.code}: ${err.message}`);
  }
  if (err instanceof RangeError && /more than one statement/.test(err.message)) {
    return new QueryError(400, 'SQLITE_ERROR: only one statement is allowed');
  }
  return new QueryError(500, err instanceof Error ? err.message : String(err));
}

/**
 * The JSON size of a cell, roughly (what the answer will cost the parent to hold and send).
 * @param {unknown} v
 */
function cellBytes(v) {
  if (typeof v === 'string') return v.length + 2;
  if (v instanceof Uint8Array) return v.byteLength * 4 + 24;
  return 8;
}

/**
 * The absolute path of the file must not reach callers (it tells where the server keeps its data):
 * refuse the one SQLite function that lists it, and scrub it from any answer as a second guard.
 * Identifiers cannot be built at run time in SQL, so the text check cannot be bypassed.
 * @param {string} sql
 */
function refusePathQueries(sql) {
  if (/database_list/i.test(sql)) {
    throw new QueryError(400, 'SQLITE_ERROR: pragma database_list is not available (it reveals server file paths)');
  }
}

/** @type {string} */
let DB_PATH = '';
/** @type {string} */
let DB_NAME = '';

/**
 * Replaces the document's absolute path (and its folder) in a text cell by the file's name.
 * @param {unknown[]} row
 */
function scrubPaths(row) {
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (typeof v === 'string' && DB_PATH && v.includes(DB_PATH)) row[i] = v.split(DB_PATH).join(DB_NAME);
  }
  return row;
}

/**
 * Renders a blob as Grist's JSON does (a Node Buffer's `toJSON()`), so it survives any transport.
 * @param {unknown[]} row
 */
function renderBlobs(row) {
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (v instanceof Uint8Array) row[i] = { type: 'Buffer', data: Array.from(v) };
  }
  return row;
}

/**
 * Runs one query. The statement is first prepared exactly as written (so errors name the user's own
 * tokens and the read-only checks apply to it), then, if it has parameters, in its rewritten form.
 * @param {Database.Database} db
 * @param {string} sql
 * @param {unknown[]} args
 * @returns {{ columns: string[], rows: unknown[][] }}
 */
function runQuery(db, sql, args, maxRows, maxBytes) {
  refusePathQueries(sql);
  let stmt = prepareReadOnly(db, wrap(sql));
  const { rewritten, indexes, count } = scanParameters(sql);
  if (args.length > count) throw new QueryError(500, 'SQLITE_RANGE: column index out of range');
  if (indexes.length > 0) stmt = prepareReadOnly(db, wrap(rewritten));
  stmt.raw(true);
  const columns = uniqueNames(stmt.columns().map((col) => col.name));
  /** @type {unknown[][]} */
  const rows = [];
  let bytes = 0;
  try {
    // Row by row, so an answer over the caps stops as soon as it crosses them.
    for (const row of /** @type {IterableIterator<unknown[]>} */ (stmt.iterate(bindValues(indexes, args)))) {
      for (const v of row) bytes += cellBytes(v);
      if (rows.length >= maxRows) {
        throw new QueryError(413, `SQL result has more than the limit of ${maxRows} rows; add a LIMIT or aggregate`);
      }
      if (bytes > maxBytes) {
        throw new QueryError(413, `SQL result is larger than the limit of ${maxBytes} bytes; select fewer rows or columns`);
      }
      rows.push(scrubPaths(renderBlobs(row)));
    }
    return { columns, rows };
  } catch (err) {
    throw toQueryError(err);
  }
}

/**
 * Gives repeated output names `:1`, `:2` suffixes as Grist does. SQLite already does this for the
 * wrapped sub-select; this keeps the guarantee whatever SQLite version runs.
 * @param {string[]} names
 */
function uniqueNames(names) {
  const seen = new Set();
  return names.map((name) => {
    let unique = name;
    for (let k = 1; seen.has(unique); k++) unique = `${name}:${k}`;
    seen.add(unique);
    return unique;
  });
}

// ---------------------------------------------------------------------------------------------------
// Watchdog: a worker thread that kills this process if a query outlives its deadline (the parent normally
// kills it first) or if the parent process disappears while the main thread is stuck in a query (then the
// IPC `disconnect` event cannot be handled).
// ---------------------------------------------------------------------------------------------------

const WATCHDOG_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let timer;
parentPort.on('message', (msg) => {
  clearTimeout(timer);
  if (msg > 0) timer = setTimeout(() => process.kill(process.pid, 'SIGKILL'), msg);
});
const check = () => {
  if (process.ppid !== workerData.parentPid) process.kill(process.pid, 'SIGKILL');
};
check();
setInterval(check, 500);
`;

/**
 * Starts the watchdog thread; it does not keep the process alive by itself.
 * @param {number} parentPid The pid of the process that forked us (passed by it, so a parent that died
 *   while we were still starting is noticed too).
 */
function startWatchdog(parentPid) {
  const worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { parentPid } });
  // A watchdog failure must not take the query process down; the parent's own timer still applies.
  worker.on('error', (err) => process.stderr.write(`sql-child watchdog failed: ${err.message}\n`));
  worker.unref();
  return worker;
}

/**
 * @param {object} message
 */
function send(message) {
  // The parent may be gone already; then there is nobody to answer and the process is about to exit.
  if (process.send && process.connected) process.send(message);
}

/** The data memory limit of this process (argv[4], set by the parent with RLIMIT_DATA), bytes. */
let MAX_MEMORY = 0;

function main() {
  const dbPath = process.argv[2];
  const parentPid = Number(process.argv[3]);
  MAX_MEMORY = Number(process.argv[4]) > 0 ? Number(process.argv[4]) : 0;
  if (!process.send || !dbPath || !(parentPid > 0)) {
    process.stderr.write('sql-child.js is started by SqlRunner (server/src/engine/sql.ts) only\n');
    process.exit(2);
  }
  // The parent went away: nothing left to answer to.
  process.on('disconnect', () => process.exit(0));
  if (!process.connected || process.ppid !== parentPid) process.exit(0);

  /** @type {Database.Database} */
  let db;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
    // Belt and braces on top of the read-only open: refuse any write at the SQLite level, and keep
    // functions with side effects out of views/triggers stored in the file.
    db.pragma('query_only = ON');
    db.pragma('trusted_schema = OFF');
    DB_PATH = dbPath;
    DB_NAME = dbPath.split(/[\\/]/).pop() ?? '';
  } catch (err) {
    const e = toQueryError(err);
    send({ type: 'fatal', message: e.message });
    process.exit(1);
  }
  const watchdog = startWatchdog(parentPid);

  process.on('message', (/** @type {QueryMessage} */ msg) => {
    watchdog.postMessage(msg.deadlineMs);
    /** @type {ReplyMessage} */
    let reply;
    try {
      const { columns, rows } = runQuery(db, msg.sql, Array.isArray(msg.args) ? msg.args : [], msg.maxRows > 0 ? msg.maxRows : Infinity, msg.maxBytes > 0 ? msg.maxBytes : Infinity);
      reply = { id: msg.id, ok: true, columns, rows };
    } catch (err) {
      const e = toQueryError(err);
      reply = { id: msg.id, ok: false, status: e.status, message: e.message };
    }
    watchdog.postMessage(0);
    send(reply);
  });
  send({ type: 'ready' });
}

main();
