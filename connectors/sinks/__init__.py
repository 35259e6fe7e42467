"""Sinks: systems kept equal to views, one transaction per step (see ``base`` for the laws).

A target string names the sink, the same in the Python API (``p.sink(view, TARGET)``) and on the
command line (``deltasql run … --sink TARGET``):

    duckdb:PATH              a DuckDB database file, a table per view              (needs duckdb)
    sqlite:PATH              a SQLite database file, a table per view
    postgresql://…           a PostgreSQL database (a libpq URI), a table per view (needs psycopg)
    jsonl:PATH               one JSON-lines change log for all the views
    csv:DIR                  a CSV change log per view, DIR/VIEW.csv
    parquet:DIR              Parquet change files per view, DIR/VIEW/…            (needs pyarrow)

How a bag is kept: a database table holds each row as many times as the view does; a change log
writes each changed row once with its weight (+k: k copies added, -k: k copies removed), so the
view's contents after step n are the rows whose weights up to step n add up to more than zero,
that many times each.  Each module's docstring gives its type mapping.
"""

from __future__ import annotations

import importlib
import re

from .base import Column, Sink, SinkError, ViewSchema

# scheme -> (module, class, the extra that installs what it needs)
KINDS = {
    "duckdb": ("duckdb", "DuckDBSink", "duckdb"),
    "sqlite": ("sqlite", "SQLiteSink", None),
    "postgresql": ("postgres", "PostgresSink", "postgres"),
    "jsonl": ("jsonl", "JsonlSink", None),
    "csv": ("csvlog", "CsvSink", None),
    "parquet": ("parquet", "ParquetSink", "parquet"),
}

TARGET_HELP = "duckdb:PATH, sqlite:PATH, postgresql://…, jsonl:PATH, csv:DIR or parquet:DIR"


def parse_target(target: str) -> tuple[str, str]:
    """(kind, where) of a target string: where is a path, or the whole URI for PostgreSQL."""
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql", target
    kind, sep, where = target.partition(":")
    if not sep or kind not in KINDS or kind == "postgresql" or not where:
        raise SinkError(f"unknown sink {target!r}: expected {TARGET_HELP}")
    return kind, where


def open_sink(target: str) -> Sink:
    """Open (and create, if missing) the target a string names."""
    kind, where = parse_target(target)
    module_name, class_name, extra = KINDS[kind]
    try:
        module = importlib.import_module(f".{module_name}", __name__)
    except ImportError as e:
        if extra is None or e.name is None or e.name.startswith(__name__):
            raise
        raise SinkError(f"the {kind} sink needs the {e.name} package: pip install 'deltasql[{extra}]'") from None
    return getattr(module, class_name)(target, where)


_VIEWS_PREFIX = re.compile(r"\s*([A-Za-z_][\w$]*(?:\s*,\s*[A-Za-z_][\w$]*)*)\s*=(.+)", re.S)


def split_views(spec: str) -> tuple[list[str] | None, str]:
    """``VIEW,VIEW=TARGET`` -> (views, target); a bare TARGET -> (None, target): every view."""
    m = _VIEWS_PREFIX.fullmatch(spec)
    if m is None:
        return None, spec.strip()
    return [v.strip() for v in m.group(1).split(",")], m.group(2).strip()


__all__ = ["Column", "Sink", "SinkError", "ViewSchema", "open_sink", "parse_target", "split_views", "KINDS"]
