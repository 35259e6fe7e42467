"""The catalog: tables and views by name, their fields, and the schema sqlglot's qualify needs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Relation:
    name: str
    fields: tuple  # plan.Field
    is_view: bool = False
    primary_key: tuple = ()  # column indices
    unique: tuple = ()  # UNIQUE constraints: tuples of column indices
    query: object = None  # a view's defining query (a sqlglot tree; ``sql`` renders it)
    depends_on: frozenset = frozenset()  # names of the tables and views a view reads
    indexes: dict = field(default_factory=dict)  # index name -> column names (hints only)
    rowid: int | None = None  # SQLite's INTEGER PRIMARY KEY: the column a NULL key gets max + 1 in
    lateness: tuple = ()  # a table's watermarks: ((column index, lateness), ...)
    clock_columns: tuple = ()  # columns DEFAULT NOW(): an inserted row's NULL there becomes the pipeline's clock
    emit_final: int | None = None  # a view emitting each row once, when final (its column with a waterline)
    computed_types: bool = False  # a CREATE TABLE … AS: its column types are the query's, as we typed them
    materialized: bool = False  # kept in full for ad-hoc queries (a table's WITH ('materialized' = 'true'),
    #                             a view's CREATE MATERIALIZED VIEW)


    def sql(self, dialect: str = "duckdb") -> str:
        """A view's defining query as SQL text (rendered on demand: most views never need it)."""
        return self.query.sql(dialect=dialect) if self.query is not None else ""


class Catalog:
    def __init__(self):
        self.relations: dict[str, Relation] = {}

    def relation(self, name: str) -> Relation | None:
        return self.relations.get(name)

    def add(self, rel: Relation) -> None:
        self.relations[rel.name] = rel

    def remove(self, name: str) -> None:
        del self.relations[name]

    def dependents(self, name: str) -> list[str]:
        return sorted(r.name for r in self.relations.values() if name in r.depends_on)

    def schema(self, names=None) -> dict:
        """{name: {column: type}} for sqlglot's qualify (of the named relations, or all)."""
        rels = self.relations.values() if names is None else \
            [self.relations[n] for n in names if n in self.relations]
        return {r.name: {f.name: str(f.type) for f in r.fields} for r in rels}
