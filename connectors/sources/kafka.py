"""Kafka topics as a source, through confluent-kafka (librdkafka).

``kafka://BROKER[,BROKER…]/TOPIC[,TOPIC…]?group=G&format=json|csv&table=T``.  Each message is one
batch: its value holds JSON changes (one object, an array of them, or one per line; deltasql's form,
Feldera's ``{"insert": …}``/``{"delete": …}``, or Debezium's envelope: see messages.py) or CSV rows to
insert.  Changes without a table name go to ``table`` (default: the topic's name).  A message that
fails (bad JSON, a row the table refuses) stops the source before it is applied.

Positions are per partition: ``kafka.TOPIC.PARTITION`` is the offset of the next message to read.  The
consumer assigns itself every partition of the topics (no group rebalancing: one pipeline reads all of
them) and starts where the pipeline's recorded positions say, or at the beginning for a pipeline
without them (a pipeline in memory reads the whole topic, as its tables start empty).  ``confirm``
commits the offsets to the consumer group, so the group's committed offsets trail the durable steps
and tools that watch the group's lag see what is really done.  Without ``follow`` the source is done
once every partition is read up to its end as of ``open``.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from .base import Assembler, Batch, Source, SourceError
from .follow import recorded
from .messages import loads, read_csv, read_json

META_PREFIX = "kafka."


def _driver():
    try:
        import confluent_kafka
    except ImportError:
        raise SourceError("the Kafka source needs confluent-kafka: pip install 'deltasql[kafka]'") from None
    return confluent_kafka


class KafkaSource(Source):
    kind = "kafka"

    def __init__(self, brokers: str, topics: list[str], *, group: str | None = None, format: str = "json",
                 table: str | None = None, follow: bool = True, config: dict | None = None):
        if format not in ("json", "csv"):
            raise SourceError(f"Kafka message format {format!r}: json or csv")
        self.brokers = brokers
        self.topics = list(topics)
        self.group = group or f"deltasql-{'-'.join(self.topics)}"
        self.format = format
        self.table = table
        self.following = follow
        self.config = dict(config or {})
        self.consumer = None
        self.ends: dict = {}  # (topic, partition) -> high watermark at open, without follow
        self.next: dict = {}  # (topic, partition) -> next offset to read
        self.p = None

    @classmethod
    def from_url(cls, url: str, **options) -> "KafkaSource":
        u = urlsplit(url)
        topics = [t for t in u.path.strip("/").split(",") if t]
        if not u.netloc or not topics:
            raise SourceError(f"{url}: a Kafka source is kafka://BROKER[,BROKER…]/TOPIC[,TOPIC…]")
        query = {k: v[-1] for k, v in parse_qs(u.query).items()}
        unknown = set(query) - {"group", "format", "table"}
        if unknown:
            raise SourceError(f"{url}: unknown option(s) {', '.join(sorted(unknown))} (group, format, table)")
        return cls(u.netloc, topics, **query, **options)

    def open(self, pipeline) -> None:
        ck = _driver()
        self.p = pipeline
        conf = {"bootstrap.servers": self.brokers, "group.id": self.group, "enable.auto.commit": False,
                "enable.auto.offset.store": False, "auto.offset.reset": "earliest", "enable.partition.eof": False}
        conf.update(self.config)
        try:
            self.consumer = ck.Consumer(conf)
            meta = self.consumer.list_topics(timeout=10)
        except ck.KafkaException as e:
            raise SourceError(f"Kafka {self.brokers}: {e}") from None
        assignment = []
        for topic in self.topics:
            t = meta.topics.get(topic)
            if t is None or t.error is not None:
                self.close()
                raise SourceError(f"Kafka {self.brokers}: no topic {topic!r}")
            for part in sorted(t.partitions):
                saved = recorded(pipeline, f"{META_PREFIX}{topic}.{part}")
                offset = int(saved) if saved is not None else ck.OFFSET_BEGINNING
                assignment.append(ck.TopicPartition(topic, part, offset))
                if not self.following:
                    _low, high = self.consumer.get_watermark_offsets(ck.TopicPartition(topic, part), timeout=10)
                    start = int(saved) if saved is not None else _low
                    if high > start:
                        self.ends[(topic, part)] = high
        self.consumer.assign(assignment)

    @property
    def done(self) -> bool:
        return not self.following and not self.ends

    def read(self, timeout: float) -> Batch | None:
        if self.done:
            return None
        deadline = time.monotonic() + timeout
        while True:
            msg = self.consumer.poll(max(deadline - time.monotonic(), 0))
            if msg is None:
                return None
            if msg.error():
                if msg.error().retriable() or not msg.error().fatal():
                    if time.monotonic() >= deadline:
                        return None
                    continue
                raise SourceError(f"Kafka {self.brokers}: {msg.error()}")
            return self._message(msg)

    def _message(self, msg) -> Batch:
        topic, part, offset = msg.topic(), msg.partition(), msg.offset()
        where = f"kafka {topic}[{part}]@{offset}"
        key = (topic, part)
        self.next[key] = offset + 1
        if key in self.ends and offset + 1 >= self.ends[key]:
            del self.ends[key]
        text = (msg.value() or b"").decode("utf-8", errors="strict")
        table = self.table or topic
        try:
            if self.format == "csv":
                changes = read_csv(text, table)
            else:
                changes = []
                for obj in _json_values(text):
                    changes += [c for c in read_json(obj, table) if c[0] != "commit"]
        except (ValueError, UnicodeDecodeError) as e:
            raise SourceError(f"{where}: {e}") from None
        ts_kind, ts = msg.timestamp()
        asm = Assembler(self.p, transactional=True)
        asm.feed(changes, where)
        position = {f"{META_PREFIX}{topic}.{part}": str(offset + 1)}
        stamp = ts / 1000 if ts_kind and ts > 0 else None
        batches = asm.finish(position, stamp)
        return batches[0] if batches else Batch({}, position, 0, stamp, where)

    def confirm(self, position: dict) -> None:
        ck = _driver()
        offsets = []
        for key, value in position.items():
            if key.startswith(META_PREFIX):
                topic, _, part = key[len(META_PREFIX):].rpartition(".")
                offsets.append(ck.TopicPartition(topic, int(part), int(value)))
        if offsets and self.consumer is not None:
            try:
                self.consumer.commit(offsets=offsets, asynchronous=True)
            except ck.KafkaException:
                pass  # the group's offsets are advisory: the pipeline's recorded positions are the truth

    def close(self) -> None:
        if self.consumer is not None:
            c, self.consumer = self.consumer, None
            try:
                c.close()
            except Exception:
                pass


def _json_values(text: str) -> list:
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        v = loads(text)
        return v if isinstance(v, list) else [v]
    return [loads(line) for line in text.splitlines() if line.strip()]
