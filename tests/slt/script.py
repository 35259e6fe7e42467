"""Parser for sqllogictest scripts: records (statement, query, hash-threshold, halt) with conditions."""

from __future__ import annotations

from dataclasses import dataclass, field

ENGINE = "sqlite"


@dataclass
class Record:
    """One record of a script.  ``line`` is the 1-based line of its command (``statement``, ``query``...)."""

    kind: str  # "statement", "query", "hash-threshold", "halt" or "unknown"
    line: int
    sql: str = ""
    expect_error: bool = False  # statement error
    types: str = ""  # query column types, e.g. "IIT"
    sort: str = "nosort"  # nosort, rowsort or valuesort
    label: str | None = None
    results: list[str] | None = None  # the expected lines after ----, None if there is no ---- section
    threshold: int = 0  # hash-threshold value
    conditions: list[tuple[str, str]] = field(default_factory=list)  # (skipif|onlyif, engine)
    text: str = ""  # the command line as written (for unknown records)

    def applies(self, engine: str = ENGINE) -> bool:
        """Whether an engine runs this record (its skipif/onlyif lines allow it)."""
        for cond, name in self.conditions:
            if cond == "skipif" and name == engine:
                return False
            if cond == "onlyif" and name != engine:
                return False
        return True


def parse_file(path: str) -> list[Record]:
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        return parse(f.read())


def parse(text: str) -> list[Record]:
    """Split a script into records.  Records are separated by blank lines; lines starting with '#'
    before a record's command are comments; trailing '# ...' after a condition is a comment."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    records: list[Record] = []
    i, n = 0, len(lines)
    while i < n:
        # skip blank lines and comments between records
        while i < n and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
            i += 1
        if i >= n:
            break
        conditions = []
        while i < n:
            stripped = lines[i].strip()
            if stripped.startswith("#"):
                i += 1
                continue
            words = stripped.split()
            if words and words[0] in ("skipif", "onlyif") and len(words) >= 2:
                conditions.append((words[0], words[1]))
                i += 1
                continue
            break
        if i >= n or not lines[i].strip():
            continue  # conditions followed by nothing: ignored, as sqllogictest does
        head = lines[i].split()
        start = i
        i += 1
        body = []
        while i < n and lines[i].strip():
            body.append(lines[i])
            i += 1
        cmd = head[0]
        rec = Record(kind="unknown", line=start + 1, conditions=conditions, text=lines[start].strip())
        if cmd == "statement":
            rec.kind = "statement"
            rec.expect_error = len(head) > 1 and head[1] == "error"
            rec.sql = "\n".join(body)
        elif cmd == "query":
            rec.kind = "query"
            rec.types = head[1] if len(head) > 1 else ""
            rec.sort = head[2] if len(head) > 2 else "nosort"
            rec.label = head[3] if len(head) > 3 else None
            if "----" in (b.strip() for b in body):
                k = next(j for j, b in enumerate(body) if b.strip() == "----")
                rec.sql = "\n".join(body[:k])
                rec.results = body[k + 1:]
            else:
                rec.sql = "\n".join(body)
        elif cmd == "hash-threshold":
            rec.kind = "hash-threshold"
            rec.threshold = int(head[1])
        elif cmd == "halt":
            rec.kind = "halt"
        records.append(rec)
    return records
