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
 * Protocol (parent -> child): {@link QueryMessage}. Child -> parent: `{ type: 'ready', cpuMs }` once the
 * file is open, `{ type: 'fatal', message }` if it cannot be opened, then per query any number of
 * {@link PartMessage}s and {@link RowsMessage}s and one final {@link ReplyMessage}.
 *
 * Memory: the answer is streamed, never held whole here. Rows go out in messages of about
 * {@link CHUNK_BYTES}, a text cell longer than {@link PART_CHARS} in slices, and the next row is read only
 * once the previous message has been written to the pipe (so a slow parent cannot make messages pile up
 * here). What this process holds at most is one row (SQLite's copy and V8's) plus one message, which lets
 * the parent keep this process's data limit (RLIMIT_DATA) low enough that SQLite itself refuses to build
 * a value far larger than any answer may be (SQLITE_NOMEM, a 413).
 *
 * Safety does not depend on the parent's text checks: the connection is opened read-only with
 * `query_only`, and every statement must be a single reader statement that SQLite itself flags read-only.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * Cells (their {@link cellBytes}) per rows message: small enough that a piece's rows fit in the young
 * generation (see CHILD_NODE_OPTIONS in sql.ts) and die there, big enough that messages stay cheap.
 */
const CHUNK_BYTES = 256 * 1024;
/**
 * After an answer larger than this (or one refused as too large) this process checks whether it kept
 * memory, see {@link keptMemory}.
 */
const BIG_ANSWER_BYTES = 4 * 1024 * 1024;
/** Data memory above the idle level that makes this process ask to be replaced (see {@link keptMemory}). */
const KEPT_MEMORY_SLACK = 8 * 1024 * 1024;
/** A text cell longer than this (UTF-16 units) is sent in slices of this length. */
const PART_CHARS = 1024 * 1024;

/**
 * @typedef {object} QueryMessage
 * @property {number} id Correlates the reply.
 * @property {string} sql The user's statement, with Grist's one trailing `;` already stripped.
 * @property {unknown[]} args Positional arguments (Grist/node-sqlite3 semantics, see {@link bindValues}).
 * @property {number} deadlineMs Milliseconds after which the watchdog thread (when there is one, see
 *   {@link main}) kills this process if the parent has not (a last resort: the parent normally kills it first).
 * @property {number} maxRows Most rows the answer may have.
 * @property {number} maxBytes Most bytes (JSON size of the cells) the answer may have.
 */

/**
 * Rows of the answer, in order, as the JSON text of an array of rows (`rows`). A cell listed in `split`
 * ([row index, column index, count]) is `null` there and is the concatenation of the next `count`
 * {@link PartMessage}s received before this one. A cell listed in `blobs` ([row index, column index,
 * bytes]) is `null` there too: its bytes travel as they are (the parent renders them as Grist's JSON
 * does); as JSON numbers a blob near the byte cap would not fit in this process's memory.
 *
 * JSON text rather than the rows themselves: Node's IPC would otherwise copy every cell through V8's
 * structured serializer on both sides, which for a 100,000-row answer costs about twice as much as
 * `JSON.stringify` here plus `JSON.parse` there (a string crosses as one block of bytes).
 * @typedef {{ id: number, rows: string, split?: [number, number, number][], blobs?: [number, number, Uint8Array][] }} RowsMessage
 */

/**
 * One slice of a long text cell.
 * @typedef {{ id: number, part: string }} PartMessage
 */

/**
 * The end of an answer (its last rows, as a {@link RowsMessage}) or its error. `cpuMs` is the CPU time
 * this process has used so far (the parent replaces it before it reaches its CPU limit, see sql.ts);
 * `retire` asks the parent to replace it because it kept memory from this query (see {@link keptMemory}).
 * @typedef {({ id: number, ok: true, columns: string[], rows: string, split?: [number, number, number][], blobs?: [number, number, Uint8Array][] }
 *   | { id: number, ok: false, status: number, message: string }) & { cpuMs: number, retire?: true }} ReplyMessage
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
  // V8 could not get the memory for a message or a buffer (the data limit again).
  if (err instanceof Error && /out of memory|allocation failed/i.test(err.message)) {
    return new QueryError(413, `SQL query needs more than the limit of ${MAX_MEMORY} bytes of memory (out of memory); select less`);
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
 * Runs one query and streams its answer to the parent (see {@link RowsMessage}). The statement is first
 * prepared exactly as written (so errors name the user's own tokens and the read-only checks apply to
 * it), then, if it has parameters, in its rewritten form.
 * @param {Database.Database} db
 * @param {QueryMessage} msg
 * @returns {Promise<void>} once the final {@link ReplyMessage} is sent
 */
async function runQuery(db, msg) {
  const { id } = msg;
  const args = Array.isArray(msg.args) ? msg.args : [];
  const maxRows = msg.maxRows > 0 ? msg.maxRows : Infinity;
  const maxBytes = msg.maxBytes > 0 ? msg.maxBytes : Infinity;
  /** @type {unknown[][]} */
  let chunk = [];
  /** @type {[number, number, number][]} */
  let split = [];
  /** @type {[number, number, Uint8Array][]} */
  let blobs = [];
  let chunkBytes = 0;
  let rowCount = 0;
  let bytes = 0;
  /** Drops the rows gathered so far: the next piece starts empty. */
  const startPiece = () => {
    chunk = [];
    split = [];
    blobs = [];
    chunkBytes = 0;
  };
  /** The rows gathered so far as a {@link RowsMessage}'s fields; starts a new piece. */
  const piece = () => {
    const fields = { rows: JSON.stringify(chunk), ...(split.length > 0 ? { split } : {}), ...(blobs.length > 0 ? { blobs } : {}) };
    startPiece();
    return fields;
  };
  /** Sends the rows gathered so far (and which of their cells follow apart). */
  const sendRows = () => sendAndWait({ id, ...piece() });
  try {
    refusePathQueries(msg.sql);
    let stmt = prepareReadOnly(db, wrap(msg.sql));
    const { rewritten, indexes, count } = scanParameters(msg.sql);
    if (args.length > count) throw new QueryError(500, 'SQLITE_RANGE: column index out of range');
    if (indexes.length > 0) stmt = prepareReadOnly(db, wrap(rewritten));
    stmt.raw(true);
    const columns = uniqueNames(stmt.columns().map((col) => col.name));
    // Row by row, so an answer over the caps stops as soon as it crosses them.
    for (const row of /** @type {IterableIterator<unknown[]>} */ (stmt.iterate(bindValues(indexes, args)))) {
      let rowBytes = 0;
      for (const v of row) rowBytes += cellBytes(v);
      bytes += rowBytes;
      if (rowCount >= maxRows) {
        throw new QueryError(413, `SQL result has more than the limit of ${maxRows} rows; add a LIMIT or aggregate`);
      }
      if (bytes > maxBytes) {
        throw new QueryError(413, `SQL result is larger than the limit of ${maxBytes} bytes; select fewer rows or columns`);
      }
      rowCount++;
      scrubPaths(row);
      /** @type {[number, Uint8Array][] | undefined} This row's blobs, by column (indexed once the row's place in a piece is known). */
      let rowBlobs;
      for (let c = 0; c < row.length; c++) {
        const v = row[c];
        if (v instanceof Uint8Array) {
          (rowBlobs ??= []).push([c, v]);
          row[c] = null;
          continue;
        }
        if (typeof v !== 'string' || v.length <= PART_CHARS) continue;
        // A long text: send what came before it, then the text in slices (the row itself follows).
        if (chunk.length > 0) await sendRows();
        let parts = 0;
        for (let at = 0; at < v.length; parts++) {
          let end = Math.min(v.length, at + PART_CHARS);
          // Never cut a surrogate pair in two.
          if (end < v.length && (v.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
          await sendAndWait({ id, part: v.slice(at, end) });
          at = end;
        }
        row[c] = null;
        split.push([chunk.length, c, parts]);
      }
      if (rowBlobs) for (const [c, v] of rowBlobs) blobs.push([chunk.length, c, v]);
      chunk.push(row);
      chunkBytes += rowBytes;
      if (chunkBytes >= CHUNK_BYTES) await sendRows();
    }
    const retire = bytes > BIG_ANSWER_BYTES && keptMemory();
    send({ id, ok: true, columns, ...piece(), cpuMs: cpuMs(), ...(retire ? { retire } : {}) });
  } catch (err) {
    startPiece();
    const e = toQueryError(err);
    const retire = (bytes > BIG_ANSWER_BYTES || e.status === 413) && keptMemory();
    send({ id, ok: false, status: e.status, message: e.message, cpuMs: cpuMs(), ...(retire ? { retire } : {}) });
  }
}

/** CPU time (user and system, all threads) this process has used, ms. */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return Math.ceil((user + system) / 1000);
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
// Watchdog, only where the kernel does not do its job (see main): a worker thread that kills this process
// if a query outlives its deadline (the parent normally kills it first) or if the parent process
// disappears while the main thread is stuck in a query (then the IPC `disconnect` event cannot be
// handled). It costs a whole V8 isolate (about 8 MB), which is why the kernel's guards are preferred.
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

/**
 * Sends a part of an answer and waits until it is written to the pipe: the back-pressure that keeps at
 * most one message here however slowly the parent reads.
 * @param {object} message
 * @returns {Promise<void>}
 */
function sendAndWait(message) {
  return new Promise((resolve, reject) => {
    if (!process.send || !process.connected) {
      reject(new QueryError(500, 'the parent process went away'));
      return;
    }
    process.send(message, undefined, {}, (err) => {
      if (err) {
        reject(err);
        return;
      }
      // Node serialized the message into buffers outside the V8 heap, freed only when their small
      // wrappers are collected; V8 would let tens of MB of them pile up before it looks. A young-generation
      // collection (about 0.1 ms, the nursery is a few MB) frees them at once.
      collectGarbage('minor');
      resolve();
    });
  });
}

/**
 * After a big query: whether this process still holds much more data memory than when it was idle. V8
 * keeps the heap pages a big answer grew, and the C allocator the blocks SQLite freed, so the headroom
 * under the data limit would shrink query after query; a fresh process has all of it again (the parent
 * replaces this one). Without /proc (not Linux) the answer is always yes.
 */
function keptMemory() {
  collectGarbage('major');
  const now = dataMemory();
  return now === undefined || IDLE_DATA_MEMORY === undefined || now > IDLE_DATA_MEMORY + KEPT_MEMORY_SLACK;
}

/** This process's data memory (VmData, what RLIMIT_DATA limits), bytes; undefined where /proc is missing. */
function dataMemory() {
  try {
    const kb = /VmData:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** {@link dataMemory} once the file is open and before the first query. */
/** @type {number | undefined} */
let IDLE_DATA_MEMORY;

/**
 * Runs a garbage collection if the process was started with `--expose-gc` (sql.ts does).
 * @param {'minor' | 'major'} type
 */
function collectGarbage(type) {
  const gc = /** @type {((options?: { type: string }) => void) | undefined} */ (/** @type {any} */ (globalThis).gc);
  if (typeof gc === 'function') gc({ type });
}

/** The data memory limit of this process (argv[4], set by the parent with RLIMIT_DATA), bytes. */
let MAX_MEMORY = 0;

/**
 * argv: the file, the parent's pid, the data limit (bytes) and the guard mode. Mode `kernel` means the
 * shell wrapper of sql.ts made the kernel guard this process: SIGKILL when the parent dies
 * (PR_SET_PDEATHSIG via setpriv) and a CPU time limit (RLIMIT_CPU) that the parent keeps above any
 * query's time limit. Without it (no setpriv, or no shell: Windows) a watchdog thread does both jobs.
 */
function main() {
  const dbPath = process.argv[2];
  const parentPid = Number(process.argv[3]);
  MAX_MEMORY = Number(process.argv[4]) > 0 ? Number(process.argv[4]) : 0;
  const guardedByKernel = process.argv[5] === 'kernel';
  if (!process.send || !dbPath || !(parentPid > 0)) {
    process.stderr.write('sql-child.js is started by SqlRunner (server/src/engine/sql.ts) only\n');
    process.exit(2);
  }
  // The parent went away: nothing left to answer to.
  process.on('disconnect', () => process.exit(0));
  // (Also covers a parent that died before the kernel guard was set: the guard would never fire.)
  if (!process.connected || process.ppid !== parentPid) process.exit(0);

  /** @type {Database.Database} */
  let db;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
    // Belt and braces on top of the read-only open: refuse any write at the SQLite level, and keep
    // functions with side effects out of views/triggers stored in the file.
    db.pragma('query_only = ON');
    db.pragma('trusted_schema = OFF');
    // SQLite's own default page cache (2 MB) rather than better-sqlite3's 16 MB: it counts against this
    // process's data limit, and the operating system caches the file anyway.
    db.pragma('cache_size = -2000');
    DB_PATH = dbPath;
    DB_NAME = dbPath.split(/[\\/]/).pop() ?? '';
  } catch (err) {
    const e = toQueryError(err);
    send({ type: 'fatal', message: e.message });
    process.exit(1);
  }
  const watchdog = guardedByKernel ? undefined : startWatchdog(parentPid);

  // The parent sends one query at a time; the chain keeps them in order all the same.
  let previous = Promise.resolve();
  process.on('message', (/** @type {QueryMessage} */ msg) => {
    previous = previous.then(async () => {
      watchdog?.postMessage(msg.deadlineMs);
      await runQuery(db, msg);
      watchdog?.postMessage(0);
    });
  });
  IDLE_DATA_MEMORY = dataMemory();
  send({ type: 'ready', cpuMs: cpuMs() });
}

main();
