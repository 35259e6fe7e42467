"""COPY table FROM 'file.csv' (…): a CSV file's records read into a table's rows.

What a record becomes, as DuckDB's COPY reads it with the options given (it guesses none: where DuckDB
would sniff the header, HEADER must be said):

- the file is UTF-8 (a byte-order mark is skipped); records are RFC 4180's, split by DELIMITER, with
  QUOTE around a field that holds one; inside quotes ESCAPE ('"' unless given) makes the character after
  it plain (QUOTE doubled, where ESCAPE is QUOTE); an empty line is no record;
- a field that is the NULL text (NULL '…'; empty unless given), quoted or not, is NULL (with another
  NULL text, an empty field is an empty text); every other field is text assigned to its column as an
  INSERT assigns a VARCHAR (compiler/types.assign_value: CAST's rules, so ' 7', '+7', '1e2' and '0x10'
  into an INTEGER are 7, 7, 100 and 16, and '1.5' is 2);
- HEADER true skips the first record; a column list takes the file's fields in its order, and the
  table's other columns are NULL;
- a record with another number of fields, an unterminated quote or a value its column cannot take is
  an error at the file's line, and the statement changes nothing.

Laws the parallel read relies on (engine/shards/staging.py ``stage_csv``): (1) a record ends at a newline
outside quotes, and with ESCAPE equal to QUOTE a position is outside quotes exactly when an even number
of QUOTE characters precede it in the file's records (an escaped quote is two), so ``split_records``
cuts the file only where a record ends; but for a quote inside an unquoted field (`a"b`, which the csv
module reads as a plain character): that breaks the parity, and a cut may fall inside a quoted field,
where the range before the cut ends inside quotes and fails to read (strict), so a file whose ranges do
not all read is read whole instead; (2) a record's row depends on the record and the options alone, so
parsing the parts apart and adding their rows up reads the file.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass

from sqlglot import exp

from ..compiler.errors import CompileError, DataError
from ..compiler.frontend import error_at
from ..compiler.positions import offset_to_position, position
from ..compiler.types import assign_value

_BOM = b"\xef\xbb\xbf"
_OPTION_NAMES = {"DELIM": "DELIMITER", "SEP": "DELIMITER"}


@dataclass(frozen=True)
class CsvFormat:
    """The options a COPY reads its file with."""

    header: bool = False
    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    null: str = ""  # a field that is this text, quoted or not, is NULL

    def reader(self, text: str):
        doubled = self.escape == self.quote  # (a quote escaped by doubling it, else by ESCAPE before it)
        return csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter, quotechar=self.quote,
                          doublequote=doubled, escapechar=None if doubled else self.escape, strict=True)


@dataclass(frozen=True)
class CopySpec:
    """One COPY … FROM, bound: the file, its format, and the table column each field goes to."""

    table: str
    path: str
    fmt: CsvFormat
    columns: tuple  # for each field of a record, the index of its column in the table


def bind_copy(ast: exp.Copy, tables: dict, views, dialect: str, sql: str) -> CopySpec:
    """The COPY statement ``ast`` checked against the catalog; CompileError at what is not supported."""
    if not ast.args.get("kind"):
        raise error_at(ast, "COPY … TO is not supported: a view's rows are read with SELECT, or written by a "
                            "sink (deltasql.connectors.sinks)", sql)
    target = ast.this
    table = target.this if isinstance(target, exp.Schema) else target
    if not isinstance(table, exp.Table):
        raise error_at(target, "COPY … FROM needs a table", sql)
    t = tables.get(table.name)
    if t is None:
        raise error_at(table, f"unknown table {table.name!r}" if table.name not in views
                       else f"cannot copy into view {table.name!r}", sql)
    names = [f.name for f in t.rel.fields]
    cols = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else names
    for i, c in enumerate(cols):
        node = target.expressions[i] if isinstance(target, exp.Schema) else target
        if c not in names:
            raise error_at(node, f"unknown column {c!r} of {t.rel.name}", sql)
        if c in cols[:i]:
            raise error_at(node, f"column {c!r} is named twice in COPY", sql)
    files = ast.args.get("files") or []
    if len(files) != 1 or not isinstance(files[0], exp.Literal) or not files[0].is_string:
        raise error_at(ast, "COPY … FROM takes one file, named by a string", sql)
    path = files[0].this
    fmt = _format(ast, files[0], dialect, sql)
    return CopySpec(t.rel.name, path, fmt, tuple(names.index(c) for c in cols))


def _format(ast: exp.Copy, file: exp.Literal, dialect: str, sql: str) -> CsvFormat:
    path = file.this
    options: dict = {}
    after = file.meta.get("end", -1) + 1  # (the options' words carry no position: found in the text after the file)
    for p in ast.args.get("params") or []:
        word = p.this.name
        found = re.compile(rf"\b{re.escape(word)}\b", re.I).search(sql, after) if after > 0 else None
        at = _Place(*offset_to_position(sql, found.start())) if found else _Place(*position(ast, sql))
        if found:
            after = found.end()
        name = _OPTION_NAMES.get(word.upper(), word.upper())
        if name in options:
            raise at.error(f"COPY option {name} is given twice", sql)
        options[name] = (at, p.args.get("expression"))
    if dialect != "duckdb":
        raise error_at(ast, f"COPY … FROM is supported in the duckdb dialect, not in {dialect}'s (its CSV rules "
                            "for NULL and quoted fields differ)", sql)
    fmt = options.pop("FORMAT", None)
    if fmt is not None:
        kind = fmt[1].name.lower() if fmt[1] is not None else ""
        if kind != "csv":
            raise fmt[0].error(f"COPY … FROM reads CSV files (FORMAT csv), not {kind or 'this format'}", sql)
    elif not path.lower().endswith((".csv", ".csv.txt", ".txt", ".tsv")):
        raise error_at(ast, f"COPY … FROM reads CSV files: say FORMAT csv to read {path!r} as one", sql)
    auto = options.pop("AUTO_DETECT", None)
    if auto is not None and _flag(auto, sql):
        raise auto[0].error("AUTO_DETECT true is not supported: deltasql reads the file as its options say and "
                                "guesses nothing", sql)
    header = options.pop("HEADER", None)
    if header is None:
        raise error_at(ast, "COPY … FROM needs HEADER true or HEADER false: DuckDB guesses whether the first "
                            "line names the columns, deltasql does not guess", sql)
    null = options.pop("NULL", None)
    if null is not None and not (isinstance(null[1], exp.Literal) and null[1].is_string):
        raise null[0].error("COPY's NULL must be a string ('' or 'NA', say)", sql)
    chars = {}
    for name, default in (("DELIMITER", ","), ("QUOTE", '"'), ("ESCAPE", None)):
        given = options.pop(name, None)
        if given is None:
            chars[name] = default
            continue
        value = given[1]
        text = value.this if isinstance(value, exp.Literal) and value.is_string else None
        text = "\t" if text == "\\t" else text  # (DuckDB's: '\t' is a tab)
        if text is None or len(text) != 1 or text in "\r\n":
            raise given[0].error(f"COPY's {name} must be one character (not a newline)", sql)
        chars[name] = text
    quote = chars["QUOTE"]
    escape = chars["ESCAPE"] or '"'  # (DuckDB's: '"' whatever the QUOTE)
    if chars["DELIMITER"] in (quote, escape):
        raise error_at(ast, "COPY's DELIMITER must differ from its QUOTE and ESCAPE", sql)
    for name, (at, _) in options.items():
        raise at.error(f"COPY option {name} is not supported (supported: FORMAT csv, HEADER, DELIMITER, "
                             "QUOTE, ESCAPE, NULL, AUTO_DETECT false)", sql)
    return CsvFormat(_flag(header, sql), chars["DELIMITER"], quote, escape, null[1].this if null else "")


@dataclass(frozen=True)
class _Place:
    """Where an option's word is in the statement's text."""

    line: int
    col: int

    def error(self, message: str, sql: str) -> CompileError:
        return CompileError(message, self.line, self.col, sql)


def _flag(option, sql: str) -> bool:
    at, value = option
    if value is None:
        return True
    if isinstance(value, exp.Boolean):
        return bool(value.this)
    if isinstance(value, exp.Literal) and not value.is_string and value.this in ("0", "1"):
        return value.this == "1"
    if isinstance(value, (exp.Var, exp.Literal)) and value.name.lower() in ("true", "false", "on", "off"):
        return value.name.lower() in ("true", "on")
    raise at.error("this COPY option takes true or false", sql)


def read_file(path: str) -> bytes:
    """The file's bytes; DataError naming it when it cannot be read."""
    try:
        with open(os.path.expanduser(path), "rb") as f:
            return f.read()
    except OSError as e:
        raise DataError(f"COPY: cannot read {path!r}: {e.strerror or e}") from None


def body(data: bytes, fmt: CsvFormat, path: str) -> tuple:
    """(where the records to read begin, the line they begin at): after a byte-order mark and, with
    HEADER, after the first record."""
    start = len(_BOM) if data.startswith(_BOM) else 0
    if not fmt.header:
        return start, 1
    if fmt.escape == fmt.quote:
        end = _record_end(data, start, start, fmt.quote.encode())
    else:  # (an escaped quote breaks law 1's parity: the reader says how many lines the header takes)
        reader = fmt.reader(decode(data[start:], path, 1))
        try:
            next(reader, None)
        except csv.Error:
            end = None
        else:
            end = start
            for _ in range(reader.line_num):
                nl = data.find(b"\n", end)
                end = len(data) if nl < 0 else nl + 1
    if end is None:
        raise DataError(f"{path}:1: not valid CSV: the header's quote is never closed")
    return end, 1 + data.count(b"\n", start, end)


def _record_end(data: bytes, begin: int, at: int, quote: bytes) -> int | None:
    """Where the record holding position ``at`` (or the first after it) ends, counting records from
    ``begin``, where one starts: after the first newline at or after ``at`` with an even number of
    quotes between ``begin`` and it (law 1; only for ESCAPE = QUOTE); the file's end if no newline
    follows and the quotes close there; None if they never close."""
    quotes, pos = data.count(quote, begin, at), at
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            return len(data) if (quotes + data.count(quote, pos)) % 2 == 0 else None
        quotes += data.count(quote, pos, nl)
        pos = nl + 1
        if quotes % 2 == 0:
            return pos


def split_records(data: bytes, start: int, line: int, parts: int, fmt: CsvFormat) -> list:
    """The file's records from ``start`` (at ``line``) cut into at most ``parts`` ranges of whole
    records of about equal size: [(begin, end, the line it begins at)].  One range where ESCAPE differs
    from QUOTE (an escaped quote breaks the parity of law 1)."""
    size = len(data) - start
    if parts <= 1 or size <= 0 or fmt.escape != fmt.quote:
        return [(start, len(data), line)]
    q = fmt.quote.encode()
    out, begin = [], start
    for i in range(1, parts):
        target = start + size * i // parts
        if target <= begin:
            continue
        end = _record_end(data, begin, target, q)
        if end is None:
            break
        out.append((begin, end, line))
        line += data.count(b"\n", begin, end)
        begin = end
    out.append((begin, len(data), line))
    return [r for r in out if r[1] > r[0]]


def converters(rel, dialect) -> list:
    """For each column of ``rel``, a function from a column of field texts (none empty) to their
    values, as an INSERT assigns each text (assign_value); integers and text without its generality
    where a whole column allows it."""
    out = []
    for f in rel.fields:
        out.append(_column_converter(f.type, f"{rel.name}.{f.name}", dialect))
    return out


def _column_converter(t, where: str, dialect):
    def general(texts):
        return [assign_value(text, t, where, dialect) for text in texts]

    if t.kind == "text":
        return _shared_texts
    if t.kind == "int" and t.bits <= 64:
        lo, hi = -(1 << (t.bits - 1)), (1 << (t.bits - 1)) - 1

        def to_int(texts):
            values = _plain_ints(texts)
            if values is not None and lo <= min(values) and max(values) <= hi:
                return values
            return general(texts)
        return to_int
    return general


def _shared_texts(texts: list) -> list:
    """The texts, each repeated one as one object where a column repeats its values (a status, a
    name): they are then pickled once per batch and stored once (as Table.shared does)."""
    distinct = set(texts)
    if len(distinct) * 2 > len(texts):
        return texts
    return list(map({v: v for v in distinct}.__getitem__, texts))


def _plain_ints(texts: list) -> list | None:
    """The texts as ints where every one is ASCII digits after at most one leading '-' (where int()
    and CAST agree: int() also takes ' 7', '1_0' and other scripts' digits), tested on them joined;
    else None."""
    joined = "\0" + "\0".join(texts)
    if not joined.isascii():
        return None
    minus = joined.count("-")
    if minus:
        if joined.count("\0-") != minus or joined.count("\0-\0") or joined.endswith("\0-"):
            return None
        joined = joined.replace("\0-", "")
    if not joined.replace("\0", "").isdigit():
        return None
    try:
        return list(map(int, texts))
    except ValueError:  # (more digits than int() converts)
        return None


def parse_rows(text: str, first_line: int, spec: CopySpec, convert: list, width: int, lines=None) -> list:
    """The rows of the records in ``text`` (whole records, the first at ``first_line`` of the file):
    tuples of the table's ``width`` columns, NULL where no field gives one (an empty field).  DataError
    at the file's line for a record that is not one, or a value its column cannot take.  ``lines``: a
    list given gets each row's line."""
    fmt, path, columns = spec.fmt, spec.path, spec.columns
    n = len(columns)
    ends = None  # each record's last line in ``text`` (counted only where needed: a slower read)
    malformed = None  # the first record that is not one: raised after the values before it are converted
    try:
        records = list(fmt.reader(text))
    except csv.Error:
        records = None
    if records is None or lines is not None or set(map(len, records)) - {n}:
        records, ends, malformed = _records(text, first_line, fmt, path, n)
    if lines is not None:
        lines.extend(first_line + e - 1 for e in ends)
    if not records:
        if malformed is not None:
            raise malformed
        return []
    fields = list(zip(*records))
    values = [None] * width
    null = fmt.null
    try:
        for i, c in enumerate(columns):
            texts = fields[i]
            if null not in texts:
                values[c] = convert[c](list(texts))
            else:  # NULLs: the others converted alone
                at = [k for k, v in enumerate(texts) if v != null]
                column = [None] * len(texts)
                for k, v in zip(at, convert[c]([texts[k] for k in at])):
                    column[k] = v
                values[c] = column
    except DataError:
        if ends is None:
            ends = _records(text, first_line, fmt, path, n)[1]
        for record, end in zip(records, ends):  # the file's first value that fails, for its line
            for c, v in zip(columns, record):
                if v != null:
                    try:
                        convert[c]([v])
                    except DataError as e:
                        raise DataError(f"{path}:{first_line + end - 1}: {e.message}") from None
        raise
    if malformed is not None:
        raise malformed
    nulls = [None] * len(records)
    return list(zip(*[v if v is not None else nulls for v in values]))


def _records(text: str, first_line: int, fmt: CsvFormat, path: str, n: int) -> tuple:
    """(the records of ``text`` up to the first that is not one, each one's last line in it, the
    DataError at the file's line of that one or None), empty lines skipped."""
    reader = fmt.reader(text)
    records, ends = [], []
    try:
        for record in reader:
            if len(record) != n:
                if not record:
                    continue  # an empty line
                return records, ends, DataError(f"{path}:{first_line + reader.line_num - 1}: expected {n} "
                                                f"fields, found {len(record)}")
            records.append(record)
            ends.append(reader.line_num)
    except csv.Error as e:
        return records, ends, DataError(f"{path}:{first_line + reader.line_num - 1}: not valid CSV: {e}")
    return records, ends, None


def decode(part: bytes, path: str, first_line: int) -> str:
    try:
        return part.decode("utf-8")
    except UnicodeDecodeError as e:
        line = first_line + part.count(b"\n", 0, e.start)
        raise DataError(f"{path}:{line}: not valid UTF-8") from None
