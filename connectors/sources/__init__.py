"""Live sources: PostgreSQL change data capture, Kafka topics, standard input and directories of files,
each a module behind the small interface in base.py, followed into a pipeline by follow.py.

    from deltasql.connectors.sources import PostgresSource, follow
    follow(p, PostgresSource("postgresql://app@db:5432/shop"), on_step=print)
"""

from .base import Batch, Source, SourceError, TableChanges
from .follow import DEFAULT_MAX_DELAY, DEFAULT_MAX_ROWS, Progress, Stats, follow


def __getattr__(name):  # the sources' modules import their drivers only when used
    if name == "PostgresSource":
        from .postgres import PostgresSource
        return PostgresSource
    raise AttributeError(name)


__all__ = ["Batch", "Source", "SourceError", "TableChanges", "follow", "Progress", "Stats", "PostgresSource",
           "DEFAULT_MAX_ROWS", "DEFAULT_MAX_DELAY"]
