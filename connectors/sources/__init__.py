"""Live sources: PostgreSQL change data capture, Kafka topics, standard input and directories of files,
each a module behind the small interface in base.py, followed into a pipeline by follow.py.

    from deltasql.connectors.sources import PostgresSource, follow
    follow(p, PostgresSource("postgresql://app@db:5432/shop"), on_step=print)
"""

import os

from .base import Assembler, Batch, Source, SourceError, TableChanges
from .follow import DEFAULT_MAX_DELAY, DEFAULT_MAX_ROWS, Progress, Stats, follow
from .streams import DirectorySource, StreamSource


def open_source(spec, **options) -> Source:
    """A source from a Source object or a string: ``postgresql://…`` or ``postgres://…``,
    ``kafka://BROKER[,BROKER…]/TOPIC[,TOPIC…]``, ``-`` (standard input) or a directory."""
    if isinstance(spec, Source):
        if options:
            raise TypeError(f"options {', '.join(options)} apply to a source named by a string")
        return spec
    spec = os.fspath(spec)
    if spec.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresSource
        return PostgresSource(spec, **options)
    if spec.startswith("kafka://"):
        from .kafka import KafkaSource
        return KafkaSource.from_url(spec, **options)
    if spec == "-":
        return StreamSource(**options)
    if os.path.isdir(spec):
        return DirectorySource(spec, **options)
    raise SourceError(f"{spec}: not a source (postgresql://…, kafka://…, - for standard input, or a directory)")


def __getattr__(name):  # the sources' modules import their drivers only when used
    if name == "PostgresSource":
        from .postgres import PostgresSource
        return PostgresSource
    if name == "KafkaSource":
        from .kafka import KafkaSource
        return KafkaSource
    raise AttributeError(name)


__all__ = ["Assembler", "Batch", "Source", "SourceError", "TableChanges", "follow", "open_source", "Progress",
           "Stats", "PostgresSource", "KafkaSource", "StreamSource", "DirectorySource", "DEFAULT_MAX_ROWS",
           "DEFAULT_MAX_DELAY"]
