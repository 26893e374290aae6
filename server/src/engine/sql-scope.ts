/**
 * Which tables and columns a read-only SQL statement reads, proven from its compiled program, so that
 * `sql_query` can be allowed to tokens limited to some tables and columns.
 *
 * better-sqlite3 has no authorizer API, so the statement is compiled as `EXPLAIN` (which never runs it) in
 * exactly the form the SQL runner executes (`select * from (<sql>\n)`, parameters as `?`), and its VDBE
 * bytecode is read:
 * - `OpenRead`/`ReopenIdx` open a b-tree by root page (a root page in a register, `OPFLAG_P2ISREG`, is
 *   only ever used by `OpenWrite`, which is refused like every write): mapped to a table or an index through
 *   `sqlite_schema.rootpage`. Opening an index counts as reading every column of it (the program can
 *   compare index keys without any `Column` instruction). The schema table, Grist's metadata tables
 *   (`_grist*`), other databases and register-given root pages are refused.
 * - `Column` (cursor, column number) on a table cursor is a column of that table (`table_xinfo` order);
 *   on an index cursor, a column of the index (`index_xinfo` order). `RowData` on a table reads every column.
 * - Cursors on temporary results (`OpenEphemeral`, `SorterOpen`, `OpenPseudo`, `OpenAutoindex`, `OpenDup`)
 *   only hold values the program already read from the cursors above.
 * - Virtual tables (`VOpen`: `pragma_*`, `json_each`, ...) and any instruction not on the list of known
 *   instructions are refused, so a new SQLite feature is refused until it is understood.
 * Views need nothing special: they are compiled into reads of their base tables.
 *
 * Known limit: the plan is compiled here, a moment before the runner's child process compiles the same text
 * again; a schema change by another caller in between (a column dropped and re-added at the same position,
 * say) could make the two differ. Documents with `sqlite_stat4` are refused (see below) so that plans do not
 * depend on argument values.
 */
import type Database from 'better-sqlite3';
import type { SqlReads } from '../backend/types.js';

/** Instructions that touch no b-tree except through a cursor already accounted for, or none at all. */
const SAFE_OPCODES = new Set(
  (
    'Init Goto Gosub Return InitCoroutine EndCoroutine Yield HaltIfNull Halt Integer Int64 Real String8 String ' +
    'BeginSubrtn Null SoftNull Blob Variable Move Copy SCopy IntCopy ResultRow Concat Add Subtract Multiply Divide ' +
    'Remainder CollSeq BitAnd BitOr ShiftLeft ShiftRight AddImm MustBeInt RealAffinity Cast Eq Ne Lt Le Gt Ge ElseEq ' +
    'Permutation Compare Jump And Or IsTrue Not BitNot Once If IfNot IsNull IsType ZeroOrNull NotNull IfNullRow ' +
    'Offset Affinity MakeRecord Transaction Sequence SequenceTest DecrJumpZero IfPos IfNotZero OffsetLimit MemMax ' +
    'AggStep AggStep1 AggInverse AggValue AggFinal Function PureFunc Trace CursorHint Noop Explain Abortable Filter ' +
    'FilterAdd Count ReleaseReg ClrSubtype GetSubtype SetSubtype TypeCheck Rewind Last Next Prev SorterNext ' +
    'SorterSort Sort SeekLT SeekLE SeekGE SeekGT SeekScan SeekHit IfNoHope IfNotOpen NotFound Found NoConflict ' +
    'NotExists SeekRowid DeferredSeek FinishSeek IdxGT IdxGE IdxLT IdxLE IdxRowid Rowid NullRow Close ColumnsUsed ' +
    'SorterCompare SorterData SorterInsert ResetSorter RowSetAdd RowSetRead RowSetTest TableLock'
  ).split(' '),
);

/** Instructions that write: allowed on cursors over temporary results only. */
const TEMP_WRITE_OPCODES = new Set(['Insert', 'IdxInsert', 'NewRowid', 'Delete', 'IdxDelete']);

/** Instructions that open a cursor over temporary results. */
const TEMP_OPEN_OPCODES = new Set(['OpenEphemeral', 'OpenAutoindex', 'OpenPseudo', 'SorterOpen', 'OpenDup']);

/** One row of `EXPLAIN`. */
interface Instruction {
  opcode: string;
  p1: number;
  p2: number;
  p3: number;
  p4: unknown;
  p5: number;
}

/** What a cursor reads. */
type Cursor = { kind: 'table'; table: string } | { kind: 'index'; table: string; columns: string[] } | { kind: 'temp' };

/** A b-tree of the schema, by root page. */
type BTree = { kind: 'table'; name: string; columns: string[] } | { kind: 'index'; table: string; columns: string[] };

function refused(why: string): SqlReads {
  return { ok: false, why };
}

/** A SQLite identifier in double quotes. */
function quoteId(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Rewrites every parameter (`?`, `?NNN`, `:name`, `@name`, `$name`) to `?` as SQLite's tokenizer finds
 * them (skipping strings, quoted identifiers and comments); returns the text and the number of `?`s.
 */
export function anonymiseParameters(sql: string): { text: string; count: number } {
  let out = '';
  let count = 0;
  let i = 0;
  const n = sql.length;
  const isId = (c: string) => /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) >= 0x80;
  while (i < n) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      for (;;) {
        const end = sql.indexOf(close, j);
        if (end < 0) {
          j = n;
          break;
        }
        if (close !== ']' && sql[end + 1] === close) {
          j = end + 2;
          continue;
        }
        j = end + 1;
        break;
      }
      out += sql.slice(i, j);
      i = j;
    } else if (c === '?') {
      let j = i + 1;
      while (j < n && /[0-9]/.test(sql[j]!)) j++;
      out += '?';
      count++;
      i = j;
    } else if ((c === ':' || c === '@' || c === '$') && i + 1 < n && isId(sql[i + 1]!)) {
      let j = i + 1;
      while (j < n && (isId(sql[j]!) || (c === '$' && sql.startsWith('::', j)))) j += sql.startsWith('::', j) ? 2 : 1;
      out += '?';
      count++;
      i = j;
    } else if (isId(c)) {
      let j = i;
      while (j < n && isId(sql[j]!)) j++;
      out += sql.slice(i, j);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return { text: out, count };
}

/** Root page -> table or index, for every b-tree of the main database. */
function readSchema(db: Database.Database): Map<number, BTree> {
  const entries = db
    .prepare("SELECT type, name, tbl_name AS tbl, rootpage FROM sqlite_schema WHERE type IN ('table', 'index') AND rootpage > 0")
    .all() as { type: string; name: string; tbl: string; rootpage: number }[];
  const tableColumns = new Map<string, string[]>();
  const columnsOf = (table: string): string[] => {
    let columns = tableColumns.get(table);
    if (!columns) {
      const info = db.prepare(`PRAGMA main.table_xinfo(${quoteId(table)})`).all() as { name: string; pk: number; type: string; hidden: number }[];
      // An INTEGER PRIMARY KEY column is the rowid: Grist's `id`.
      columns = info.map((c) => c.name);
      tableColumns.set(table, columns);
    }
    return columns;
  };
  const trees = new Map<number, BTree>();
  for (const e of entries) {
    if (e.type === 'table') {
      trees.set(e.rootpage, { kind: 'table', name: e.name, columns: columnsOf(e.name) });
    } else {
      const info = db.prepare(`PRAGMA main.index_xinfo(${quoteId(e.name)})`).all() as { seqno: number; cid: number; name: string | null }[];
      const table = columnsOf(e.tbl);
      // cid -1 is the rowid (`id`); -2 an expression, which names no single column: keep it unknown ('').
      const columns = info.sort((a, b) => a.seqno - b.seqno).map((c) => (c.cid === -1 ? 'id' : c.cid < 0 ? '' : (table[c.cid] ?? '')));
      trees.set(e.rootpage, { kind: 'index', table: e.tbl, columns });
    }
  }
  return trees;
}

/** True for tables that hold no user data: SQLite's own and Grist's metadata and helpers. */
function isInternalTable(name: string): boolean {
  return /^(sqlite_|_grist)/i.test(name);
}

/**
 * The tables and columns `query` reads, or why that cannot be proven. `query` is the text given to
 * `sql_query` (one trailing `;` allowed). Compiles only; never runs the statement.
 */
export function sqlReads(db: Database.Database, query: string): SqlReads {
  const sql = query.replace(/;$/, '');
  const { text, count } = anonymiseParameters(sql);
  // One read snapshot for the schema and the program; reading sqlite_schema first also makes the
  // connection notice a schema changed by another process before the statement is compiled.
  const compiled = db.transaction((): SqlReads | { program: Instruction[]; trees: Map<number, BTree> } => {
    if (db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat4'").get() !== undefined) {
      return refused('this document has query statistics (sqlite_stat4) that make the query plan depend on argument values');
    }
    const trees = readSchema(db);
    try {
      const stmt = db.prepare(`EXPLAIN select * from (${text}\n)`);
      return { program: stmt.all(...new Array<null>(count).fill(null)) as Instruction[], trees };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Syntax errors name only the caller's own text; "no such table/column" must not tell hidden from missing.
      if (/syntax error|incomplete input|unrecognized token/.test(message)) return refused(`the statement does not compile (${message})`);
      return refused('the statement does not compile, or names a table or column outside this token\'s scope');
    }
  })();
  if ('ok' in compiled) return compiled;
  const { program, trees } = compiled;
  const cursors = new Map<number, Cursor>();
  const reads = new Map<string, Set<string>>();
  const read = (table: string, column?: string) => {
    let set = reads.get(table);
    if (!set) reads.set(table, (set = new Set()));
    if (column !== undefined) set.add(column);
  };

  for (const op of program) {
    const { opcode } = op;
    if (opcode === 'OpenRead' || opcode === 'ReopenIdx') {
      if (op.p3 !== 0) return refused('the statement reads another database than the document');
      const tree = trees.get(op.p2);
      if (op.p2 === 1) return refused('the statement reads the schema table (sqlite_schema)');
      if (!tree) return refused('the statement opens a table the gateway cannot identify');
      const table = tree.kind === 'table' ? tree.name : tree.table;
      if (isInternalTable(table)) return refused('the statement reads SQLite\'s or Grist\'s internal tables');
      if (tree.kind === 'table') {
        cursors.set(op.p1, { kind: 'table', table });
        read(table);
      } else {
        if (tree.columns.includes('')) return refused('the statement uses an index on an expression');
        cursors.set(op.p1, { kind: 'index', table, columns: tree.columns });
        for (const column of tree.columns) read(table, column);
      }
    } else if (TEMP_OPEN_OPCODES.has(opcode)) {
      cursors.set(op.p1, { kind: 'temp' });
    } else if (opcode === 'Column' || opcode === 'RowData') {
      const cursor = cursors.get(op.p1);
      if (!cursor) return refused(`the statement reads through a cursor the gateway cannot identify (${opcode})`);
      if (cursor.kind === 'temp') continue;
      if (cursor.kind === 'index') continue; // every column of the index is already counted
      const tree = [...trees.values()].find((t): t is Extract<BTree, { kind: 'table' }> => t.kind === 'table' && t.name === cursor.table)!;
      if (opcode === 'RowData') {
        for (const column of tree.columns) read(cursor.table, column);
        continue;
      }
      const column = tree.columns[op.p2];
      if (column === undefined) return refused('the statement reads a column the gateway cannot identify');
      read(cursor.table, column);
    } else if (TEMP_WRITE_OPCODES.has(opcode)) {
      if (cursors.get(op.p1)?.kind !== 'temp') return refused(`the statement writes (${opcode})`);
    } else if (/^V[A-Z]/.test(opcode)) {
      return refused('the statement uses a virtual table (such as pragma_table_info or json_each)');
    } else if (!SAFE_OPCODES.has(opcode)) {
      return refused(`the statement uses the SQLite instruction ${opcode}, which the gateway does not attribute to tables`);
    }
  }
  return { ok: true, tables: reads };
}
