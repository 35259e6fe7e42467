"""Parser for DuckDB's sqllogictest dialect: records, with loops and ``foreach`` expanded.

A script is records separated by blank lines.  The records this parser gives:

* ``statement ok|error|maybe`` + SQL (for ``error``, an optional ``----`` and the expected message);
* ``query <types> [nosort|rowsort|valuesort] [label]`` + SQL + ``----`` + expected rows;
* ``require <what>``, ``load``, ``restart``, ``set ...``, ``unzip``, ``halt`` as directives (the runner
  decides what each means for it).

``loop v a b`` / ``foreach v x y …`` … ``endloop`` (and the ``concurrent`` forms) repeat the records in
between with ``${v}`` and ``{v}`` replaced; ``<integral>``, ``<numeric>``, ``<signed>`` and
``<unsigned>`` in a ``foreach`` stand for DuckDB's type lists.  ``mode skip`` … ``mode unskip`` drops
the records in between; ``skipif duckdb`` drops a record and ``onlyif X`` keeps it only for duckdb.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SIGNED = ["tinyint", "smallint", "integer", "bigint", "hugeint"]
_UNSIGNED = ["utinyint", "usmallint", "uinteger", "ubigint", "uhugeint"]
_GROUPS = {"<signed>": _SIGNED, "<unsigned>": _UNSIGNED, "<integral>": _SIGNED + _UNSIGNED,
           "<numeric>": _SIGNED + _UNSIGNED + ["float", "double"]}


@dataclass
class Record:
    """One record.  ``line`` is the 1-based line of its command; ``tag`` tells loop iterations apart
    (``"type=float"``), empty outside loops."""

    kind: str  # statement, query, require, load, restart, set, unzip, halt, other
    line: int
    sql: str = ""
    expect: str = "ok"  # statement: ok, error or maybe
    types: str = ""
    sort: str = "nosort"
    results: list[str] | None = None  # expected lines after ----, or the expected error message
    args: list[str] = field(default_factory=list)  # a directive's words after its name
    tag: str = ""

    @property
    def key(self) -> str:
        """The record's id inside its file: its line, and the loop iteration if any."""
        return f"{self.line}" + (f"[{self.tag}]" if self.tag else "")


@dataclass
class _Raw:
    head: list[str]
    line: int
    body: list[str]


def parse_file(path: str) -> list[Record]:
    with open(path, encoding="utf-8", errors="replace") as f:
        return parse(f.read())


def parse(text: str) -> list[Record]:
    return _expand(_split(text), {}, "")


def _split(text: str) -> list[_Raw]:
    """Blocks: a command line with the lines after it up to a blank line (conditions folded in)."""
    lines = text.replace("\r\n", "\n").split("\n")
    out, i, n = [], 0, len(lines)
    skipping = False
    while i < n:
        s = lines[i].strip()
        if not s or s.startswith("#"):
            i += 1
            continue
        words = s.split()
        cond_ok = True
        while words and words[0] in ("skipif", "onlyif"):
            engine = words[1] if len(words) > 1 else ""
            if (words[0] == "skipif") == (engine == "duckdb"):
                cond_ok = False
            i += 1
            s = lines[i].strip() if i < n else ""
            words = s.split()
        if not words:
            continue
        start = i
        i += 1
        body = []
        while i < n and lines[i].strip():
            body.append(lines[i])
            i += 1
        if words[0] == "mode":
            skipping = words[1:2] == ["skip"] if len(words) > 1 and words[1] in ("skip", "unskip") else skipping
            continue
        if skipping or not cond_ok:
            if words[0] in ("loop", "foreach", "concurrentloop", "concurrentforeach", "endloop"):
                out.append(_Raw(words, start + 1, body))  # keep loop nesting balanced
            continue
        out.append(_Raw(words, start + 1, body))
    return out


def _substitute(text: str, env: dict) -> str:
    for k, v in env.items():
        text = text.replace("${" + k + "}", v).replace("{" + k + "}", v)
    return text


def _expand(blocks: list[_Raw], env: dict, tag: str) -> list[Record]:
    out: list[Record] = []
    i = 0
    while i < len(blocks):
        b = blocks[i]
        cmd = b.head[0]
        if cmd in ("loop", "foreach", "concurrentloop", "concurrentforeach"):
            depth, j = 1, i + 1
            while j < len(blocks) and depth:
                c = blocks[j].head[0]
                if c in ("loop", "foreach", "concurrentloop", "concurrentforeach"):
                    depth += 1
                elif c == "endloop":
                    depth -= 1
                j += 1
            inner = blocks[i + 1:j - 1]
            var = b.head[1] if len(b.head) > 1 else "_"
            if cmd.endswith("loop"):
                try:
                    values = [str(v) for v in range(int(_substitute(b.head[2], env)),
                                                    int(_substitute(b.head[3], env)))]
                except (IndexError, ValueError):
                    values = []
            else:
                values = []
                for v in b.head[2:]:
                    values.extend(_GROUPS.get(v, [v]))
            for v in values:
                sub = dict(env, **{var: v})
                out.extend(_expand(inner, sub, f"{tag},{var}={v}" if tag else f"{var}={v}"))
            i = j
            continue
        if cmd == "endloop":
            i += 1
            continue
        out.append(_record(b, env, tag))
        i += 1
    return out


def _record(b: _Raw, env: dict, tag: str) -> Record:
    head = [_substitute(w, env) for w in b.head]
    body = [_substitute(x, env) for x in b.body]
    cmd = head[0]
    rec = Record("other", b.line, args=head[1:], tag=tag)
    if cmd == "statement":
        rec.kind = "statement"
        rec.expect = head[1] if len(head) > 1 else "ok"
        rec.sql, rec.results = _sql_and_results(body)
    elif cmd == "query":
        rec.kind = "query"
        rec.types = head[1] if len(head) > 1 else ""
        rec.sort = head[2] if len(head) > 2 else "nosort"
        rec.sql, rec.results = _sql_and_results(body)
    elif cmd in ("require", "load", "restart", "set", "unzip", "halt", "reset", "require-env", "test-env",
                 "sleep", "tags", "reconnect", "hash-threshold"):
        rec.kind = cmd
    return rec


def _sql_and_results(body: list[str]):
    for k, line in enumerate(body):
        if line.strip() == "----":
            return "\n".join(body[:k]), body[k + 1:]
    return "\n".join(body), None


def strip_sql(sql: str) -> str:
    """The SQL without trailing semicolons and whitespace (to wrap it in CREATE VIEW … AS)."""
    sql = sql.strip()
    while sql.endswith(";"):
        sql = sql[:-1].rstrip()
    return sql


_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_simple_name(name: str) -> bool:
    return bool(_WORD.match(name))
