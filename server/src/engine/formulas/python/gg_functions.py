"""
Grist's common spreadsheet functions, written for grist-gateway from Grist's documented behaviour
(https://support.getgrist.com/functions/). Not Grist's code: semantics were reproduced from the docs and
from values recorded from grist-core 1.7.17 (server/test/contract/recorded/fixtures/10-formulas.json).
"""
import datetime as _dt
import math as _math
import re as _re
from decimal import Decimal as _Decimal, ROUND_HALF_UP as _HALF_UP

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _numbers(args):
  """Numbers among the arguments, lists/record-set attribute lists flattened; text, bools and None skipped."""
  for a in args:
    if isinstance(a, (list, tuple, set, frozenset)) or (hasattr(a, '__iter__') and not isinstance(a, (str, bytes, dict))):
      for x in _numbers(a):
        yield x
    elif isinstance(a, bool) or a is None:
      continue
    elif isinstance(a, (int, float)):
      yield a


def SUM(value1, *more_values):
  return sum(_numbers((value1,) + more_values))


def AVERAGE(value1, *more_values):
  vals = list(_numbers((value1,) + more_values))
  if not vals:
    raise ZeroDivisionError('float division by zero')
  return sum(vals) / float(len(vals))


def MIN(value1, *more_values):
  vals = list(_numbers((value1,) + more_values))
  return min(vals) if vals else 0


def MAX(value1, *more_values):
  vals = list(_numbers((value1,) + more_values))
  return max(vals) if vals else 0


def COUNT(value1, *more_values):
  return len(list(_numbers((value1,) + more_values)))


def ROUND(value, places=0):
  """Rounds half away from zero, as spreadsheets do (Python's round() rounds half to even)."""
  places = int(places)
  q = _Decimal(1).scaleb(-places)
  r = float(_Decimal(repr(float(value))).quantize(q, rounding=_HALF_UP)) if places >= 0 else \
    float((_Decimal(repr(float(value))) / q).quantize(_Decimal(1), rounding=_HALF_UP) * q)
  return r if places > 0 else (int(r) if r == int(r) else r)


def ROUNDUP(value, places=0):
  m = 10.0 ** int(places)
  return (_math.ceil(abs(value) * m) / m) * (1 if value >= 0 else -1)


def ROUNDDOWN(value, places=0):
  m = 10.0 ** int(places)
  return (_math.floor(abs(value) * m) / m) * (1 if value >= 0 else -1)


def INT(value):
  return int(_math.floor(value))


def ABS(value):
  return abs(value)


def IF(logical_expression, value_if_true, value_if_false):
  return value_if_true if logical_expression else value_if_false


def AND(logical_expression, *logical_expressions):
  return all((logical_expression,) + logical_expressions)


def OR(logical_expression, *logical_expressions):
  return any((logical_expression,) + logical_expressions)


def NOT(logical_expression):
  return not logical_expression


def ISBLANK(value):
  return value is None or value == ''


def LEN(text):
  return len(text)


def UPPER(text):
  return text.upper()


def LOWER(text):
  return text.lower()


def PROPER(text):
  return text.title()


def TRIM(text):
  return _re.sub(' +', ' ', text.strip())


def CONCAT(string, *more_strings):
  return ''.join(_text(s) for s in (string,) + more_strings)


CONCATENATE = CONCAT


def _text(v):
  if v is None:
    return ''
  if isinstance(v, bool):
    return 'TRUE' if v else 'FALSE'
  if isinstance(v, float) and v == int(v):
    return str(int(v))
  return str(v)


def LEFT(string, num_chars=1):
  if num_chars < 0:
    raise ValueError('num_chars invalid')
  return string[:num_chars]


def RIGHT(string, num_chars=1):
  if num_chars < 0:
    raise ValueError('num_chars invalid')
  return string[-num_chars:] if num_chars else ''


def MID(text, starting_at, extract_length):
  if starting_at < 1:
    raise ValueError('starting_at invalid')
  if extract_length < 0:
    raise ValueError('extract_length invalid')
  return text[starting_at - 1:starting_at - 1 + extract_length]


def SUBSTITUTE(text, old_text, new_text, instance_num=None):
  if not old_text:
    return text
  if instance_num is None:
    return text.replace(old_text, new_text)
  if instance_num < 1:
    raise ValueError('instance_num invalid')
  idx = -1
  for _ in range(int(instance_num)):
    idx = text.find(old_text, idx + 1)
    if idx < 0:
      return text
  return text[:idx] + new_text + text[idx + len(old_text):]


def FIND(find_text, within_text, start_num=1):
  if start_num < 1:
    raise ValueError('start_num invalid')
  pos = within_text.find(find_text, int(start_num) - 1)
  if pos < 0:
    raise ValueError('substring not found')
  return pos + 1


def FIXED(number, decimals=2, no_commas=False):
  decimals = int(decimals)
  value = ROUND(number, decimals)
  fmt = ('{:.%df}' if no_commas else '{:,.%df}') % max(decimals, 0)
  return fmt.format(value)


def VALUE(text):
  t = text.strip().replace(',', '')
  if t.endswith('%'):
    return float(t[:-1]) / 100
  try:
    return int(t)
  except ValueError:
    return float(t)


def REGEXEXTRACT(text, regular_expression):
  m = _re.search(regular_expression, text)
  if not m:
    raise ValueError('REGEXEXTRACT text does not match')
  return m.group(1) if m.groups() else m.group(0)


def REGEXREPLACE(text, regular_expression, replacement):
  return _re.sub(regular_expression, _re.sub(r'\$(\d+)', r'\\\1', replacement), text)


def REGEXMATCH(text, regular_expression):
  return bool(_re.search(regular_expression, text))


# ---- dates ----

def _make_datetime(value):
  if isinstance(value, _dt.datetime):
    return value
  if isinstance(value, _dt.date):
    return _dt.datetime.combine(value, _dt.time())
  if isinstance(value, str):
    return DTIME(value)
  raise ValueError('Invalid date %r' % (value,))


def _make_date(value):
  if isinstance(value, _dt.datetime):
    return value.date()
  if isinstance(value, _dt.date):
    return value
  if isinstance(value, str):
    return DTIME(value).date()
  raise ValueError('Invalid date %r' % (value,))


def DATE(year, month, day):
  """Like Grist: month and day overflow into the next year/month."""
  year = int(year) + (int(month) - 1) // 12
  month = (int(month) - 1) % 12 + 1
  return _dt.date(year, month, 1) + _dt.timedelta(days=int(day) - 1)


def YEAR(date):
  return _make_datetime(date).year


def MONTH(date):
  return _make_datetime(date).month


def DAY(date):
  return _make_datetime(date).day


def HOUR(time):
  return _make_datetime(time).hour


def MINUTE(time):
  return _make_datetime(time).minute


def SECOND(time):
  return _make_datetime(time).second


def WEEKDAY(date, type=1):
  wd = _make_datetime(date).isoweekday()  # Monday 1 .. Sunday 7
  if type == 1:
    return (wd % 7) + 1
  if type == 2:
    return wd
  if type == 3:
    return wd - 1
  raise ValueError('Invalid type %r' % (type,))


def DATEADD(start_date, days=0, months=0, years=0, weeks=0):
  d = _make_datetime(start_date) if isinstance(start_date, _dt.datetime) else _make_date(start_date)
  if months or years:
    d = EDATE(d, months + 12 * years)
  return d + _dt.timedelta(days=days, weeks=weeks)


def DAYS(end_date, start_date):
  return (_make_date(end_date) - _make_date(start_date)).days


def EDATE(start_date, months):
  d = _make_datetime(start_date) if isinstance(start_date, _dt.datetime) else _make_date(start_date)
  total = d.month - 1 + int(months)
  year, month = d.year + total // 12, total % 12 + 1
  day = min(d.day, _days_in_month(year, month))
  return d.replace(year=year, month=month, day=day)


def _days_in_month(year, month):
  nxt = _dt.date(year + (month == 12), month % 12 + 1, 1)
  return (nxt - _dt.timedelta(days=1)).day


def EOMONTH(start_date, months):
  d = EDATE(_make_date(start_date), months)
  return d.replace(day=_days_in_month(d.year, d.month))


def TODAY(tz=None):
  return NOW(tz).date()


def NOW(tz=None):
  return _dt.datetime.now(_dt.timezone.utc)


def DTIME(value, tz=None):
  if isinstance(value, _dt.datetime):
    return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
  if isinstance(value, _dt.date):
    return _dt.datetime.combine(value, _dt.time(), tzinfo=_dt.timezone.utc)
  if isinstance(value, str):
    text = value.strip().replace('Z', '+00:00')
    for fmt in (None, '%Y-%m-%d %H:%M', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y', '%Y/%m/%d'):
      try:
        d = _dt.datetime.fromisoformat(text) if fmt is None else _dt.datetime.strptime(text, fmt)
        return d if d.tzinfo else d.replace(tzinfo=_dt.timezone.utc)
      except ValueError:
        continue
  raise ValueError('Invalid date %r' % (value,))


def DATEVALUE(date_string, tz=None):
  return DTIME(date_string).date()


__all__ = [n for n in dir() if n.isupper()]
