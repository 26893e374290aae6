"""
The formula environment of grist-gateway's embedded engine, written for grist-gateway (not Grist's code).

A `Doc` holds every user table of one document in memory (row ids and raw Grist cell values), compiles
formulas, evaluates them with `rec` / `$Col` records, follows references and lookups, records which
(table, column) each formula column reads while it runs, and recalculates only what a change affects.
The host (worker.js) calls `load`, `apply` and returns what `recalc` answers as JSON.

Cell values travel as Grist's API encoding: numbers, text, bools, None, ["L", ...] lists, ["E", name]
errors. Dates/DateTimes arrive as epoch seconds and are turned into datetime objects on access.
"""
import ast
import builtins
import sys
from array import array
import datetime as _dt
import json
import math
import time

_monotonic = time.monotonic

import gg_functions

_UTC = _dt.timezone.utc
_EPOCH_DATE = _dt.date(1970, 1, 1)

# ---------------------------------------------------------------------------------------------------
# Safety: what formulas may import.

_BLOCKED_MODULES = {'js', 'pyodide', 'pyodide_js', '_pyodide', '_pyodide_core', 'micropip', 'ctypes', '_ctypes',
                    'gg_host', 'importlib', 'subprocess', 'socket', '_socket', 'ssl', 'urllib', 'http', 'ftplib',
                    'multiprocessing', 'threading', '_thread', 'gc', 'sys', 'os', 'posix', 'io', '_io', 'pathlib',
                    'shutil', 'tempfile', 'builtins', 'inspect', 'code', 'codeop', 'pickle', 'marshal'}
_real_import = builtins.__import__


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
  root = name.split('.')[0]
  if root in _BLOCKED_MODULES or root.startswith('_pyodide') or root.startswith('gg_'):
    raise ImportError('module %r is not available in formulas' % name)
  return _real_import(name, globals, locals, fromlist, level)


_SAFE_BUILTINS = {k: v for k, v in vars(builtins).items()
                  if k not in ('open', 'exec', 'eval', 'compile', 'input', 'breakpoint', 'exit', 'quit', 'help',
                               'globals', 'locals', 'vars', 'memoryview', '__loader__', '__spec__')}
_SAFE_BUILTINS['__import__'] = _guarded_import


class CircularReferenceError(RuntimeError):
  pass


class FormulaTimeout(Exception):
  pass


# ---------------------------------------------------------------------------------------------------
# Columns and conversions.

def _base(col_type):
  return col_type.split(':', 1)[0]


_DEFAULTS = {'Text': '', 'Choice': '', 'Numeric': 0.0, 'Int': 0, 'Ref': 0, 'Bool': False, 'Id': 0}
_FAST_TYPES = frozenset([float, int, str, bool, type(None)])
_NUMERIC_FAST_TYPES = frozenset([float, str, bool, type(None)])


class Column(object):
  __slots__ = ('col_id', 'col_ref', 'type', 'base', 'ref_table', 'is_formula', 'formula', 'recalc_when',
               'recalc_deps', 'tz_offsets', 'func', 'syntax_error', 'values', 'seen', 'fast_types')

  def __init__(self, info):
    self.col_id = info['colId']
    self.col_ref = info['colRef']
    self.type = info['type']
    self.base = _base(self.type)
    self.ref_table = self.type.split(':', 1)[1] if self.base in ('Ref', 'RefList') and ':' in self.type else None
    self.is_formula = info['isFormula']
    self.formula = info['formula']
    self.recalc_when = info.get('recalcWhen') or 0
    self.recalc_deps = info.get('recalcDeps') or None
    self.func = None
    self.syntax_error = None
    self.values = {}
    self.seen = set()  # names this formula column read from its own row (already tracked)
    # Types `rec.Col` returns as stored (Numeric holds floats: ints are converted when values arrive).
    self.fast_types = _NUMERIC_FAST_TYPES if self.base == 'Numeric' else _FAST_TYPES

  def incoming(self, vals):
    """Values as they arrive from the host, ready for formulas: Numeric ints become floats (JSON has one
    number type; Grist's Numeric cells are floats), error cells become CellErrorValue."""
    if self.base == 'Numeric':
      vals = [float(v) if type(v) is int else v for v in vals]
    if any(type(v) is list for v in vals):
      vals = [_from_cell(v) for v in vals]
    return vals

  def default(self):
    return _DEFAULTS.get(self.base)


class CellErrorValue(object):
  """An error stored in a cell; reading it from a formula raises an error of the same name."""
  __slots__ = ('name',)

  def __init__(self, name):
    self.name = name

  def __eq__(self, other):
    return isinstance(other, CellErrorValue) and other.name == self.name

  def __ne__(self, other):
    return not self.__eq__(other)

  def raise_it(self):
    exc = getattr(builtins, self.name, None)
    if isinstance(exc, type) and issubclass(exc, Exception):
      raise exc('error in referenced cell')
    raise CellError(self.name)


class CellError(Exception):
  pass


class InvalidTypedValue(ValueError):
  """Raised on `$Ref.Col` when the Ref cell holds text that is not a row id (Grist's alt text)."""

  def __init__(self, typename, text):
    ValueError.__init__(self, 'Invalid %s: %s' % (typename, text))


class AltText(object):
  """A cell value that does not fit its column's type (e.g. "Nobody" in a Ref column), as Grist reads
  it in formulas: usable as text or number, and `.Col` on it raises InvalidTypedValue (03 final_state)."""
  __slots__ = ('_text', '_typename')

  def __init__(self, text, typename):
    self._text = text
    self._typename = typename

  def __str__(self):
    return self._text

  def __int__(self):
    return int(float(self._text))

  def __float__(self):
    return float(self._text)

  def __repr__(self):
    return 'AltText(%r)' % (self._text,)

  def __eq__(self, other):
    return isinstance(other, AltText) and other._text == self._text

  def __ne__(self, other):
    return not self.__eq__(other)

  def __hash__(self):
    return hash((AltText, self._text))

  def __getattr__(self, name):
    raise InvalidTypedValue(self._typename, self._text)


def _ref_value(target, v, via=None):
  """A Ref cell as a formula sees it: a record, or AltText when the cell holds text instead of a row id."""
  if v is None or (isinstance(v, int) and not isinstance(v, bool)):
    return Record(target, v or 0, False, via)
  return AltText(v if isinstance(v, str) else repr(v), 'Ref')


def _from_cell(v):
  if isinstance(v, list) and v and v[0] == 'E':
    return CellErrorValue(v[1] if len(v) > 1 else 'Error')
  return v


# ---------------------------------------------------------------------------------------------------
# Records and record sets.

class Record(object):
  """A row of a table; `rec.Col` reads a cell (tracked as a dependency), `rec.id` its row id (0: empty).

  `_via` is (table, Ref column) when the record was reached through a Ref cell of the row being computed:
  reads through it depend only on the referenced rows, so a change there recomputes only the rows that
  point to them."""
  __slots__ = ('_table', '_row', '_self', '_via')

  def __init__(self, table, row, is_self=False, via=None):
    # No other attributes can be set (slots), and formulas cannot reach `_` names (see _PrivateAccess).
    self._table = table
    self._row = row
    self._self = is_self
    self._via = via

  @property
  def id(self):
    return self._row

  def __getattr__(self, name):
    return self._table.read(self._row, name, self._self, self._via)

  def __getitem__(self, name):
    return self.__getattr__(name)

  def __bool__(self):
    return bool(self._row)

  def __eq__(self, other):
    return isinstance(other, Record) and other._table is self._table and other._row == self._row

  def __ne__(self, other):
    return not self.__eq__(other)

  def __hash__(self):
    return hash((self._table.table_id, self._row))

  def __int__(self):
    return self._row

  def __repr__(self):
    return '%s[%s]' % (self._table.table_id, self._row)


class _SelfRecord(Record):
  """`rec`: the row being computed. Its reads take a fast path (one tracking per formula column): this is
  the innermost loop of a whole-column recompute, so it does as little as it can."""
  __slots__ = ()
  # Constant for every `rec` (they shadow Record's slots, so a new `rec` sets only two slots).
  _self = True
  _via = None

  def __init__(self, table, row):
    self._table = table
    self._row = row

  def __getattr__(self, name):
    t = self._table
    col = t.plain.get(name)
    if col is None:
      return t.read(self._row, name, True, None)
    doc = t.doc
    seen = doc.cur_seen
    if name not in seen:
      seen.add(name)
      doc.track(t.table_id, name, True, None)
    v = col.values.get(self._row)
    if type(v) in col.fast_types:
      return v
    if type(v) is int and col.base == 'Numeric':
      return float(v)
    if type(v) is list and v and v[0] == 'E':
      return t.read(self._row, name, True, None)
    if isinstance(v, CellErrorValue):
      v.raise_it()
    return v


_PLAIN_BASES = frozenset(['Text', 'Numeric', 'Int', 'Bool', 'Choice'])


class RecordSet(object):
  """Records of one table; `.Col` gives the list of that column's values; iterable, len()."""
  __slots__ = ('_table', '_rows')

  def __init__(self, table, rows):
    self._table = table
    self._rows = list(rows)

  def __len__(self):
    return len(self._rows)

  def __iter__(self):
    t = self._table
    return (Record(t, r) for r in self._rows)

  def __bool__(self):
    return bool(self._rows)

  def __contains__(self, item):
    return isinstance(item, Record) and item._table is self._table and item._row in self._rows

  def __getitem__(self, i):
    if isinstance(i, slice):
      return RecordSet(self._table, self._rows[i])
    return Record(self._table, self._rows[i])

  def __getattr__(self, name):
    if name == 'id':
      return list(self._rows)
    t = self._table
    return [t.read(r, name, False) for r in self._rows]

  def __eq__(self, other):
    return isinstance(other, RecordSet) and other._table is self._table and other._rows == self._rows

  def __ne__(self, other):
    return not self.__eq__(other)

  def __hash__(self):
    return hash((self._table.table_id, tuple(self._rows)))

  def __repr__(self):
    return '%s%s' % (self._table.table_id, self._rows)

  @property
  def ids(self):
    return list(self._rows)

  def get_one(self):
    return Record(self._table, self._rows[0] if self._rows else 0)


class UserTable(object):
  """What a formula sees as `Orders`: lookups and `.all`."""
  __slots__ = ('_table',)

  def __init__(self, table):
    self._table = table

  def lookupRecords(self, sort_by=None, order_by=None, **field_value_pairs):
    return self._table.lookup(field_value_pairs, sort_by or order_by)

  def lookupOne(self, sort_by=None, order_by=None, **field_value_pairs):
    rs = self._table.lookup(field_value_pairs, sort_by or order_by)
    return rs.get_one()

  @property
  def all(self):
    t = self._table
    t.doc.track(t.table_id, '#rows', False)
    return RecordSet(t, sorted(t.rows))

  def __getattr__(self, name):
    raise AttributeError("Table '%s' has no attribute '%s'" % (self._table.table_id, name))

  def __repr__(self):
    return 'Table(%s)' % self._table.table_id


def _lookup_key(v):
  if isinstance(v, Record):
    return v._row
  if isinstance(v, (list, tuple)):
    return tuple(_lookup_key(x) for x in v)
  if isinstance(v, float) and v == int(v):
    return int(v)
  if isinstance(v, _dt.datetime):
    return (v - _dt.datetime(1970, 1, 1, tzinfo=_UTC)).total_seconds() if v.tzinfo else v
  if isinstance(v, _dt.date):
    return (v - _EPOCH_DATE).days * 86400
  return v


def _raw_key(v):
  if isinstance(v, list) and v and v[0] == 'L':
    return tuple(v[1:])
  if isinstance(v, float) and v == int(v):
    return int(v)
  return v


# ---------------------------------------------------------------------------------------------------
# Tables.

class Table(object):
  def __init__(self, doc, info):
    self.doc = doc
    self.table_id = info['tableId']
    self.columns = {}
    for c in info['columns']:
      col = Column(c)
      self.columns[col.col_id] = col
    self.rows = set()
    self.user = UserTable(self)
    self.indexes = {}
    # Data columns `rec.Col` reads directly (no formula to compute first, no record to build).
    self.plain = {c.col_id: c for c in self.columns.values()
                  if c.base in _PLAIN_BASES and not (c.is_formula and c.formula)}

  def read(self, row, name, is_self, via=None):
    """Reads a cell for a formula: tracks the dependency, computes a dirty formula cell first."""
    if name == 'id':
      return row
    col = self.columns.get(name)
    if col is None:
      raise AttributeError("Table '%s' has no column '%s'" % (self.table_id, name))
    doc = self.doc
    doc.track(self.table_id, name, is_self, via)
    if not row or row not in self.rows:
      return self.convert(col, col.default())
    if col.is_formula and col.formula:
      doc.ensure_computed(self, col, row)
    v = col.values.get(row)
    if isinstance(v, CellErrorValue):
      v.raise_it()
    if is_self and col.base == 'Ref':
      target = doc.tables.get(col.ref_table)
      if target is not None:
        return _ref_value(target, v, (self.table_id, name))
    return self.convert(col, v)

  def convert(self, col, v):
    base = col.base
    if base == 'Numeric':
      # JSON has one number type; Grist's Numeric cells are Python floats (str(1.0) == '1.0').
      return float(v) if type(v) is int else v
    if base in ('Text', 'Int', 'Bool', 'Choice', 'Any'):
      if base == 'Any' and isinstance(v, list) and v and v[0] == 'L':
        return list(v[1:])
      return v
    if base == 'Ref':
      target = self.doc.tables.get(col.ref_table)
      if target is None:
        return v
      return _ref_value(target, v)
    if base == 'RefList':
      target = self.doc.tables.get(col.ref_table)
      ids = v[1:] if isinstance(v, list) and v and v[0] == 'L' else []
      return RecordSet(target, ids) if target is not None else ids
    if base == 'Date':
      if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _EPOCH_DATE + _dt.timedelta(seconds=v)
      return v
    if base == 'DateTime':
      if isinstance(v, (int, float)) and not isinstance(v, bool):
        return self.doc.make_datetime(col, v)
      return v
    if base in ('ChoiceList', 'Attachments'):
      if isinstance(v, list) and v and v[0] == 'L':
        return tuple(v[1:])
      return v
    return v

  def lookup(self, kwargs, sort_by):
    doc = self.doc
    doc.track(self.table_id, '#rows', False)
    keys = tuple(sorted(kwargs))
    for k in keys:
      if k != 'id' and k not in self.columns:
        raise AttributeError("Table '%s' has no column '%s'" % (self.table_id, k))
      doc.track(self.table_id, k, False)
    index = self.indexes.get(keys)
    if index is None:
      index = {}
      cols = [self.columns.get(k) for k in keys]
      for r in sorted(self.rows):
        parts = []
        for k, c in zip(keys, cols):
          if k == 'id':
            parts.append(r)
            continue
          if c.is_formula and c.formula:
            doc.ensure_computed(self, c, r)
          parts.append(_raw_key(c.values.get(r)))
        index.setdefault(tuple(parts), []).append(r)
      self.indexes[keys] = index
    want = tuple(_lookup_key(kwargs[k]) for k in keys)
    try:
      rows = index.get(want, [])
    except TypeError:
      rows = []
    if sort_by:
      desc = sort_by.startswith('-')
      name = sort_by.lstrip('-')
      rows = sorted(rows, key=lambda r: _sort_key(self.read(r, name, False)), reverse=desc)
    return RecordSet(self, rows)


def _sort_key(v):
  if v is None:
    return (0, 0)
  if isinstance(v, (int, float)):
    return (1, v)
  return (2, str(v))


# ---------------------------------------------------------------------------------------------------
# Compiling formulas.

def _replace_dollars(src):
  """`$Col` -> `rec.Col` outside strings and comments (a `$` is not valid Python anywhere else)."""
  out = []
  i = 0
  n = len(src)
  while i < n:
    ch = src[i]
    if ch == '#':
      j = src.find('\n', i)
      j = n if j < 0 else j
      out.append(src[i:j])
      i = j
    elif ch in '"\'':
      q3 = src[i:i + 3]
      if q3 in ('"""', "'''"):
        j = src.find(q3, i + 3)
        j = n if j < 0 else j + 3
      else:
        j = i + 1
        while j < n and src[j] != ch and src[j] != '\n':
          j += 2 if src[j] == '\\' else 1
        j = min(j + 1, n)
      out.append(src[i:j])
      i = j
    elif ch == '$' and i + 1 < n and (src[i + 1].isalpha() or src[i + 1] == '_'):
      out.append('rec.')
      i += 1
    else:
      out.append(ch)
      i += 1
  return ''.join(out)


class _PrivateAccess(ast.NodeVisitor):
  """Formulas may not touch `_private` or `__dunder__` attributes: they lead to the host's internals."""

  def visit_Attribute(self, node):
    if node.attr.startswith('_'):
      raise _Refused('attribute %r is not available in formulas' % node.attr)
    self.generic_visit(node)

  def visit_Name(self, node):
    if node.id.startswith('__'):
      raise _Refused('name %r is not available in formulas' % node.id)


class _Refused(Exception):
  pass


def _safe_getattr(obj, name, *default):
  if isinstance(name, str) and name.startswith('_'):
    raise AttributeError('attribute %r is not available in formulas' % name)
  return getattr(obj, name, *default)


_SAFE_BUILTINS['getattr'] = _safe_getattr
for _n in ('setattr', 'delattr'):
  _SAFE_BUILTINS.pop(_n, None)


class _RecOnlyReadAsRecord(ast.NodeVisitor):
  """Whether `rec` appears only as `rec.Col` reads in the formula's own scope (not passed, stored, returned,
  captured by a lambda, comprehension or generator): then no reference to `rec` outlives its cell, and a
  batch may move one record object from row to row instead of building one per row."""

  def __init__(self):
    self.ok = True
    self.nested = 0

  def visit_Attribute(self, node):
    if isinstance(node.value, ast.Name) and node.value.id == 'rec' and isinstance(node.ctx, ast.Load):
      if self.nested:
        self.ok = False
      return
    self.generic_visit(node)

  def visit_Name(self, node):
    if node.id == 'rec':
      self.ok = False

  def _nested(self, node):
    self.nested += 1
    self.generic_visit(node)
    self.nested -= 1

  visit_Lambda = visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _nested
  visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _nested

  def _suspends(self, node):
    self.ok = False  # a generator keeps its frame (and `rec`) alive

  visit_Yield = visit_YieldFrom = visit_Await = _suspends


def compile_formula(formula, globals_dict):
  """A function of (rec, table) whose body is the formula; the last expression is returned. Its attribute
  `rec_reusable` tells whether one record object may serve every row of a batch (_RecOnlyReadAsRecord)."""
  tree = ast.parse(_replace_dollars(formula), '<formula>', 'exec')
  _PrivateAccess().visit(tree)
  uses = _RecOnlyReadAsRecord()
  uses.visit(tree)
  body = tree.body
  if not body:
    body = [ast.Return(value=ast.Constant(value=None))]
  last = body[-1]
  if isinstance(last, ast.Expr):
    body[-1] = ast.Return(value=last.value)
  fn = ast.FunctionDef(name='_formula', args=ast.arguments(
    posonlyargs=[], args=[ast.arg(arg='rec'), ast.arg(arg='table')], vararg=None, kwonlyargs=[],
    kw_defaults=[], kwarg=None, defaults=[]), body=body, decorator_list=[], returns=None, type_params=[])
  mod = ast.Module(body=[fn], type_ignores=[])
  ast.fix_missing_locations(mod)
  code = compile(mod, '<formula>', 'exec')
  ns = {}
  exec(code, globals_dict, ns)
  fn = ns['_formula']
  fn.rec_reusable = uses.ok
  return fn


# ---------------------------------------------------------------------------------------------------
# Output conversion: Python value -> Grist cell for a column type.

def _to_cell(col, v):
  base = col.base
  if isinstance(v, Record):
    return v._row if base in ('Ref', 'Int', 'Numeric') else ['R', v._table.table_id, v._row]
  if isinstance(v, RecordSet):
    if base == 'RefList':
      return ['L'] + list(v._rows)
    return ['r', v._table.table_id, list(v._rows)]
  if isinstance(v, _dt.datetime):
    if v.tzinfo is None:
      v = v.replace(tzinfo=_UTC)
    secs = (v - _dt.datetime(1970, 1, 1, tzinfo=_UTC)).total_seconds()
    if base in ('Date', 'DateTime', 'Numeric', 'Int'):
      return secs
    return ['D', secs, v.tzname() or 'UTC']
  if isinstance(v, _dt.date):
    secs = (v - _EPOCH_DATE).days * 86400
    if base in ('Date', 'DateTime', 'Numeric', 'Int'):
      return secs
    return ['d', secs]
  if isinstance(v, (list, tuple, set, frozenset)):
    return ['L'] + [_plain(x) for x in v]
  if isinstance(v, dict):
    return ['O', {str(k): _plain(x) for k, x in v.items()}]
  if v is None or isinstance(v, (bool, str)):
    return v
  if isinstance(v, AltText):
    return str(v)
  if isinstance(v, int):
    return v if -(2 ** 53) < v < 2 ** 53 else float(v)
  if isinstance(v, float):
    if math.isnan(v) or math.isinf(v):
      return repr(v)
    return v
  return repr(v)


def _plain(x):
  if isinstance(x, Record):
    return x._row
  if isinstance(x, (_dt.date, _dt.datetime)):
    return _to_cell(_PLAIN_COL, x)
  if isinstance(x, (list, tuple)):
    return [_plain(y) for y in x]
  if x is None or isinstance(x, (bool, int, float, str)):
    return x
  return repr(x)


class _PlainCol(object):
  base = 'Date'


_PLAIN_COL = _PlainCol()


def _result_cell(col, v):
  """A formula's value converted to its column type, as a Grist cell (fast path for plain values)."""
  tv = type(v)
  base = col.base
  if tv is float:
    if v != v or v in (_INF, -_INF):
      return repr(v)
    if base == 'Int' and v == int(v):
      return int(v)
    return v
  if tv is str or v is None:
    return v
  if tv is int:
    if base == 'Numeric':
      return float(v)
    if base == 'Bool' and v in (0, 1):
      return bool(v)
    return v if -(2 ** 53) < v < 2 ** 53 else float(v)
  if tv is bool:
    return v
  return _to_cell(col, _convert_result(col, v))


_INF = float('inf')


def _convert_result(col, v):
  """Grist converts a formula's value to the column type; what does not fit stays as it is (alt text)."""
  base = col.base
  try:
    if base == 'Numeric' and isinstance(v, (int, float)) and not isinstance(v, bool):
      return float(v)
    if base == 'Int' and isinstance(v, float) and v == int(v):
      return int(v)
    if base == 'Bool' and isinstance(v, (int, float)) and not isinstance(v, bool) and v in (0, 1):
      return bool(v)
    if base in ('Text', 'Choice') and isinstance(v, (int, float)) and not isinstance(v, bool):
      return v
  except (ValueError, OverflowError):
    pass
  return v


# ---------------------------------------------------------------------------------------------------
# The document.

class Doc(object):
  def __init__(self, host):
    self.host = host
    self.tables = {}
    self.globals = None
    self.deps = {}          # (table, col) -> {(table, formula col): kind}; kind 'same' | 'other'
    self.stack = []         # cells being evaluated: [table_id, col_id, row, is_formula]
    self.dirty = {}         # (table_id, col_id) -> set of rows to compute
    self.changed = {}       # (table_id, col_id) -> {row: cell} results to hand back
    self.time_limit = 1.0
    self.tz_offsets = {}
    self.last_tick = 0.0
    self.evaluated = 0
    self.cur_seen = set()
    self.timing = {}        # phase -> microseconds of the current host call (see `call`)

  # -- loading ------------------------------------------------------------------------------------

  def load(self, schema, data, reset=()):
    """Builds the tables of `schema` ([{tableId, columns: [...]}]). `data` ({tableId: {id: [...], col: [...]}})
    holds the values sent; a table or column not sent keeps the values this copy had (a schema update:
    only what changed travels). Formula columns listed in `reset` forget theirs (recomputed and stored)."""
    t0 = _clock()
    self._load(schema, data, reset)
    self.timing['load'] = int((_clock() - t0) * 1e6)

  def _load(self, schema, data, reset=()):
    old = self.tables
    self.tables = {}
    for t in schema:
      self.tables[t['tableId']] = Table(self, t)
    self.globals = dict(vars(gg_functions))
    self.globals.update({'__builtins__': _SAFE_BUILTINS, 'datetime': _dt, 'math': math, 'CircularReferenceError': CircularReferenceError})
    for t in self.tables.values():
      self.globals[t.table_id] = t.user
    resets = {(r[0], r[1]) for r in reset}
    for t in self.tables.values():
      d = data.get(t.table_id) or {}
      prev = old.get(t.table_id)
      ids = d.get('id')
      if ids is not None:
        t.rows = set(ids)
      elif prev is not None:
        t.rows = prev.rows
      for col in t.columns.values():
        vals = d.get(col.col_id)
        if vals is not None and ids is not None:
          col.values = dict(zip(ids, col.incoming(vals)))
        elif prev is not None and col.col_id in prev.columns and (t.table_id, col.col_id) not in resets:
          col.values = prev.columns[col.col_id].values
        else:
          col.values = {}
        if col.formula:
          try:
            col.func = compile_formula(col.formula, self.globals)
            col.syntax_error = None
          except SyntaxError as e:
            col.func = None
            col.syntax_error = 'SyntaxError'
          except _Refused as e:
            col.func = None
            col.syntax_error = 'PermissionError'
    self.deps = {}

  def set_tz(self, offsets):
    self.tz_offsets = offsets

  def make_datetime(self, col, secs):
    tz = col.type.split(':', 1)[1] if ':' in col.type else 'UTC'
    if tz in ('UTC', ''):
      return _dt.datetime.fromtimestamp(secs, _UTC)
    off = self.host.tz_offset(tz, secs)
    return _dt.datetime.fromtimestamp(secs, _dt.timezone(_dt.timedelta(minutes=off), tz))

  # -- dependency tracking ------------------------------------------------------------------------

  def track(self, table_id, col_id, is_self, via=None):
    """Records that the cell being computed read (table_id, col_id): 'same' row, through a Ref of the
    same row (('ref', col)), or 'other' (any row: lookups, chains, all)."""
    if not self.stack:
      return
    cur = self.stack[-1]
    if not cur[3]:
      return  # a trigger formula: it recalculates on its own rules (recalcWhen/recalcDeps), not on what it reads
    if is_self and table_id == cur[0]:
      kind = 'same'
    elif via is not None and via[0] == cur[0]:
      kind = ('ref', via[1])
    else:
      kind = 'other'
    key = (table_id, col_id)
    edges = self.deps.get(key)
    if edges is None:
      edges = self.deps[key] = {}
    target = (cur[0], cur[1])
    old = edges.get(target)
    if old is None or old == 'same':
      edges[target] = kind
    elif old != kind and kind != 'same':
      edges[target] = 'other'

  def mark(self, table_id, col_id, rows):
    """rows: a set of row ids, or None for every row."""
    t = self.tables.get(table_id)
    if t is None or col_id not in t.columns:
      return
    key = (table_id, col_id)
    cur = self.dirty.get(key)
    if rows is None:
      self.dirty[key] = set(t.rows)
    elif cur is None:
      self.dirty[key] = set(rows) & t.rows
    else:
      cur.update(r for r in rows if r in t.rows)

  def mark_dependents(self, table_id, col_id, rows):
    for (tt, tc), kind in list((self.deps.get((table_id, col_id)) or {}).items()):
      if kind == 'same':
        self.mark(tt, tc, rows)
      elif kind == 'other' or rows is None:
        self.mark(tt, tc, None)
      else:
        self.mark(tt, tc, self.referencing(tt, kind[1], rows))

  def referencing(self, table_id, ref_col, rows):
    """Rows of table_id whose Ref column ref_col points to one of rows."""
    t = self.tables.get(table_id)
    col = t.columns.get(ref_col) if t else None
    if col is None:
      return None
    rows = set(rows)
    return {r for r, v in col.values.items() if v in rows}

  # -- evaluation -----------------------------------------------------------------------------------

  def ensure_computed(self, table, col, row):
    rows = self.dirty.get((table.table_id, col.col_id))
    if rows and row in rows:
      self.compute(table, col, row)

  def compute(self, table, col, row):
    """Computes one cell (also lazily, when another formula reads a dirty cell)."""
    if self._compute_one(table, col, row) and col.is_formula:
      table.indexes.clear()
      self.mark_dependents(table.table_id, col.col_id, {row})

  def compute_rows(self, table, col, rows):
    """Computes the dirty cells among rows of one column; marks dependents once for the batch.

    This is where a whole-column recompute spends its time, so the work of `_compute_one` and `evaluate`
    is done here inline, per row, with the same results: one stack entry reused for every row (its row
    changes; cells computed lazily on the way still see it, for cycles and dependency tracking), the
    column's function, record type and result dict looked up once.

    The time limit: the host's watchdog interrupts a cell when the progress counter has not moved for the
    limit, and `evaluate` reads the clock at every cell to bump the counter (at most every 20 ms). Reading
    the clock costs about as much as a simple formula in Pyodide, so here it is read only every
    `check_every` cells, which grows (up to 64) while cells are fast and drops to 1 when they are not. A
    cell that starts without a look at the clock may be interrupted for time its predecessors used: such
    a cell is evaluated again, announced (the counter bumped at its start), so only a cell that had the
    whole limit to itself becomes a TimeoutError."""
    if self.stack or col.func is None:
      return self._compute_rows_each(table, col, rows)
    tid, cid = table.table_id, col.col_id
    dirty = self.dirty.get((tid, cid))
    changed = []
    func = col.func
    user = table.user
    values = col.values
    numeric = col.base == 'Numeric'
    cells = self.changed.get((tid, cid))
    if cells is None:
      cells = self.changed[(tid, cid)] = {}
    host_tick = self.host.tick
    # One `rec` moved from row to row when the formula only reads `rec.Col` (no reference can outlive a cell).
    rec = _SelfRecord(table, 0) if func.rec_reusable else None
    entry = [tid, cid, 0, col.is_formula]
    stack = self.stack
    stack.append(entry)
    saved_seen = self.cur_seen
    self.cur_seen = col.seen
    n = 0
    check_every = 1
    countdown = 0
    last_look = _monotonic()
    try:
      for r in rows:
        try:
          if dirty is not None:
            if r not in dirty:
              continue
            dirty.discard(r)
          entry[2] = r
          n += 1
          countdown -= 1
          announced = countdown <= 0
          if announced:
            now = _monotonic()
            if now - self.last_tick > 0.02:
              host_tick(1)
              self.last_tick = now
            # Fast cells (the last `check_every` took under 2 ms): look at the clock less often.
            check_every = min(check_every * 2, 64) if now - last_look < 0.002 else 1
            countdown = check_every
            last_look = now
          while True:
            try:
              if rec is None:
                v = func(_SelfRecord(table, r), user)
              else:
                rec._row = r
                v = func(rec, user)
              # The common case of _result_cell inline: a finite float into a Numeric column.
              new = v if numeric and type(v) is float and v - v == 0.0 else _result_cell(col, v)
            except KeyboardInterrupt:
              if not announced:
                # Interrupted without its start on the clock: again, with the counter bumped now.
                announced = True
                now = last_look = self.last_tick = _monotonic()
                host_tick(1)
                check_every = countdown = 1
                continue
              new = ['E', 'TimeoutError']
            except Exception as e:
              new = ['E', type(e).__name__]
            break
          if type(new) is list and new and new[0] == 'E':
            stored = _from_cell(new)
          else:
            stored = new
          old = values.get(r, _MISSING)
          values[r] = stored
          if type(old) is type(stored) and old == stored:
            continue
          cells[r] = new
          changed.append(r)
        except KeyboardInterrupt:
          pass  # the time limit hit between two cells: nothing to blame, carry on
    finally:
      self.cur_seen = saved_seen
      stack.pop()
      self.evaluated += n
    if changed and col.is_formula:
      table.indexes.clear()
      self.mark_dependents(tid, cid, set(changed))

  def _compute_rows_each(self, table, col, rows):
    """compute_rows one cell at a time (nested in another evaluation, or a formula that does not compile)."""
    dirty = self.dirty.get((table.table_id, col.col_id))
    changed = set()
    for r in rows:
      if dirty is not None and r not in dirty:
        continue
      try:
        if self._compute_one(table, col, r):
          changed.add(r)
      except KeyboardInterrupt:
        pass  # the time limit hit between two cells: nothing to blame, carry on
    if changed and col.is_formula:
      table.indexes.clear()
      self.mark_dependents(table.table_id, col.col_id, changed)

  def _compute_one(self, table, col, row):
    """Evaluates and stores one cell; True when its value changed."""
    key = [table.table_id, col.col_id, row, col.is_formula]
    if key in self.stack:
      raise CircularReferenceError('Circular Reference')
    rows = self.dirty.get((table.table_id, col.col_id))
    if rows is not None:
      rows.discard(row)
    new = self.evaluate(table, col, row, key)
    values = col.values
    old = values.get(row, _MISSING)
    stored = _from_cell(new) if type(new) is list and new and new[0] == 'E' else new
    values[row] = stored
    if type(old) is type(stored) and old == stored:
      return False
    cells = self.changed.get((table.table_id, col.col_id))
    if cells is None:
      cells = self.changed[(table.table_id, col.col_id)] = {}
    cells[row] = new
    return True

  def evaluate(self, table, col, row, key):
    if col.syntax_error is not None:
      return ['E', col.syntax_error]
    self.stack.append(key)
    saved_seen = self.cur_seen
    self.cur_seen = col.seen
    self.evaluated += 1
    now = _monotonic()
    if now - self.last_tick > 0.02:
      self.host.tick(1)
      self.last_tick = now
    try:
      return _result_cell(col, col.func(_SelfRecord(table, row), table.user))
    except KeyboardInterrupt:
      return ['E', 'TimeoutError']
    except Exception as e:
      # CircularReferenceError, RecursionError, MemoryError, ZeroDivisionError, ...: the error's name.
      return ['E', type(e).__name__]
    finally:
      self.cur_seen = saved_seen
      self.stack.pop()

  def run_dirty(self):
    """Computes every dirty cell. Only here may the host's watchdog interrupt Python (tick(1)..tick(0))."""
    t0 = _clock()
    try:
      self._run_dirty()
    finally:
      self.timing['evaluate'] = int((_clock() - t0) * 1e6)

  def _run_dirty(self):
    self.host.tick(1)
    self.last_tick = time.monotonic()
    try:
      while True:
        pending = [(k, rows) for k, rows in self.dirty.items() if rows]
        if not pending:
          break
        for (tid, cid), rows in pending:
          t = self.tables[tid]
          self.compute_rows(t, t.columns[cid], sorted(rows))
    finally:
      self.host.tick(0)
    self.dirty = {}

  # -- entry points -----------------------------------------------------------------------------------

  def full_recalc(self):
    self.changed = {}
    for t in self.tables.values():
      t.indexes.clear()
      for col in t.columns.values():
        if col.is_formula and col.formula:
          self.mark(t.table_id, col.col_id, None)
    self.run_dirty()
    return self.take_changed()

  def apply(self, delta):
    """Applies a change set and recalculates what it affects. Returns the changed cells."""
    self.changed = {}
    for ch in delta:
      t = self.tables.get(ch['tableId'])
      if t is None:
        continue
      t.indexes.clear()
      removed = ch.get('removed') or []
      for r in removed:
        t.rows.discard(r)
        for col in t.columns.values():
          col.values.pop(r, None)
      rows = ch.get('rows') or {}
      ids = rows.get('id') or []
      for cid, vals in rows.items():
        col = t.columns.get(cid)
        if col is None or (col.is_formula and col.formula):
          continue
        col.values.update(zip(ids, col.incoming(vals)))
      added = ch.get('added') or []
      t.rows.update(added)
      touched = set(ch.get('cols') or [])
      given = set(ch.get('given') or [])
      updated = set(ch.get('updated') or [])
      if removed or added:
        self.mark_dependents(t.table_id, '#rows', None)
        for cid in t.columns:
          for (tt, tc), kind in list((self.deps.get((t.table_id, cid)) or {}).items()):
            if kind == 'other':
              self.mark(tt, tc, None)
            elif kind != 'same':
              self.mark(tt, tc, self.referencing(tt, kind[1], set(added) | set(removed)))
      for cid in touched:
        self.mark_dependents(t.table_id, cid, set(updated))
      if added:
        for col in t.columns.values():
          if not col.formula:
            continue
          if col.is_formula:
            self.mark(t.table_id, col.col_id, added)
          elif col.col_id not in given and col.recalc_when != 1:
            self.mark(t.table_id, col.col_id, added)
      if updated and touched:
        refs = {t.columns[c].col_ref for c in touched if c in t.columns}
        for col in t.columns.values():
          if col.is_formula or not col.formula or col.col_id in touched:
            continue
          deps = col.recalc_deps
          if col.recalc_when == 2 or (col.recalc_when == 0 and isinstance(deps, list) and refs & set(deps[1:] if deps and deps[0] == 'L' else deps)):
            self.mark(t.table_id, col.col_id, updated)
    self.run_dirty()
    return self.take_changed()

  def take_changed(self):
    """The changed cells by column, row ids ascending, and how many cells were evaluated."""
    t0 = _clock()
    out = []
    for (tid, cid), cells in self.changed.items():
      rows = list(cells)
      in_order = sorted(rows)
      # A batch computes rows in ascending order: usually the cells are already in id order.
      values = list(cells.values()) if in_order == rows else [cells[r] for r in in_order]
      out.append({'tableId': tid, 'colId': cid, 'id': in_order, 'values': values})
    self.changed = {}
    evaluated, self.evaluated = self.evaluated, 0
    self.timing['collect'] = int((_clock() - t0) * 1e6)
    return {'changed': out, 'evaluated': evaluated}


_MISSING = object()


def _same(a, b):
  if type(a) is not type(b):
    return False
  return a == b


_DOCS = {}


class _Host(object):
  def __init__(self, tick, tz_offset):
    self.tick = tick
    self.tz_offset = tz_offset


_HOST = None


def init(tick, tz_offset):
  global _HOST
  _HOST = _Host(tick, tz_offset)


def call(doc_key, op, payload_json):
  """The one entry point of the host. Returns the answer as JSON text, with the timing of its phases in
  whole microseconds (parse, load, evaluate, collect, encode, total; for benchmarks): `timing + "\n" + answer` (one string
  crosses to JavaScript cheaply), or (answer, bytes, timing) when long numeric lists of the answer travel
  as float64 bytes beside its text (see _encode)."""
  timing = {}
  t0 = _clock()
  payload = json.loads(payload_json) if payload_json else None
  t1 = _clock()
  timing['parse'] = int((t1 - t0) * 1e6)
  result = _run(doc_key, op, payload, timing)
  t2 = _clock()
  text, blob = _encode(result)
  t3 = _clock()
  timing['encode'] = int((t3 - t2) * 1e6)
  timing['total'] = int((t3 - t0) * 1e6)
  if blob:
    return text, blob, json.dumps(timing)
  return json.dumps(timing) + '\n' + text


def _run(doc_key, op, payload, timing):
  if op == 'drop':
    _DOCS.pop(doc_key, None)
    return None
  if op == 'load':
    d = _DOCS[doc_key] = Doc(_HOST)
  elif op in ('schema', 'apply'):
    d = _DOCS.get(doc_key)
    if d is None:
      # This runtime does not hold the document (it was restarted): the caller sends it whole again.
      return {'reload': True}
  else:
    raise ValueError('unknown op %r' % op)
  d.timing = timing
  if op == 'apply':
    return d.apply(payload)
  if op == 'load':
    d.load(payload['schema'], payload['data'])
  else:
    d.load(payload['schema'], payload['data'], payload['reset'])
  return d.full_recalc()


_clock = time.perf_counter
# Lists at least this long that hold only numbers travel as float64 bytes (no float formatting and parsing).
_PACK_MIN = 256
_SAFE_INT = 2 ** 53


def _encode(result):
  """(JSON text, bytes) of an answer, cheap for whole columns: in each changed column, ascending row ids
  without gaps become {"$range": [first, count]}, and a long list of values that are all numbers (floats,
  and ints within 2**53, exact in a double) becomes {"$f64": [offset, count]}, the numbers packed as
  little-endian float64 at that offset (in doubles) of the bytes."""
  parts = []
  size = 0
  if isinstance(result, dict):
    for r in result.get('changed') or ():
      ids = r['id']
      if len(ids) >= _PACK_MIN and ids[-1] - ids[0] == len(ids) - 1:
        r['id'] = {'$range': [ids[0], len(ids)]}
      vals = r['values']
      if len(vals) < _PACK_MIN:
        continue
      types = set(map(type, vals))
      if not types <= _NUMBER_TYPES or (int in types and not -_SAFE_INT < min(vals) <= max(vals) < _SAFE_INT):
        continue
      packed = array('d', vals)
      if sys.byteorder != 'little':
        packed.byteswap()
      r['values'] = {'$f64': [size, len(vals)]}
      parts.append(packed.tobytes())
      size += len(vals)
  return json.dumps(result), b''.join(parts)


_NUMBER_TYPES = frozenset([float, int])
