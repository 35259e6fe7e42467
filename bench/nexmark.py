"""A deterministic Nexmark event generator: people, auctions and bids of an online auction house.

It follows the Nexmark specification as the Beam/Flink benchmark generators implement it (our own
code, the same rules): events are numbered 0, 1, 2, ...; in every run of 50 events the first is a
person, the next 3 auctions and the other 46 bids; event n happens at ``base + n * 1e6 / rate`` µs.
Ids are dense from 1000 (persons and auctions); an auction's seller and a bid's bidder are "hot"
(one of the few most recent hundred people) with probability 3/4, else a random active person
(the last 1000, plus up to 10 ids not yet created); a bid goes to a hot auction with probability
1/2, else to one of the last 100 auctions (plus up to 10 ahead); prices are ``round(10^(6u) * 100)``
cents; an auction expires within about twice the time 100 more auctions take to be created;
categories are 10..14; bids come through a few hot channels (Google, Facebook, Baidu, Apple) or
one of 10,000 others whose URL carries a ``channel_id``.

Differences from the Java generators, on purpose: one seeded ``random.Random`` stream instead of a
generator seeded per event (same distributions, much cheaper in Python), a fixed base time, and
short ``extra`` strings drawn from a pool (the benchmark measures the engine, not string churn).
``late`` > 0 makes that fraction of events arrive late: such an event keeps its (old) timestamp
but is emitted up to ``late_by`` seconds after its turn, which is what watermarks are for.

    gen = Generator(seed=1)
    for kind, row in gen.events(1000):   # kind: "person" | "auction" | "bid"; row: a tuple
        ...
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

FIRST_PERSON_ID = 1000
FIRST_AUCTION_ID = 1000
FIRST_CATEGORY_ID = 10
NUM_CATEGORIES = 5
PERSON_PROPORTION, AUCTION_PROPORTION, BID_PROPORTION = 1, 3, 46
TOTAL_PROPORTION = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION
HOT_RATIO_BLOCK = 100  # hot sellers/bidders/auctions: the first id of the last block of 100
ID_LEAD = 10  # ids not yet created that a random choice may pick

STATES = ("AZ", "CA", "ID", "OR", "WA", "WY")
CITIES = ("Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle",
          "Kent", "Cheyenne")
FIRST_NAMES = ("Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter")
LAST_NAMES = ("Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris")
HOT_CHANNELS = ("Google", "Facebook", "Baidu", "Apple")
N_CHANNELS = 10_000

SCHEMA = {
    "person": (("id", "BIGINT"), ("name", "VARCHAR"), ("email_address", "VARCHAR"), ("credit_card", "VARCHAR"),
               ("city", "VARCHAR"), ("state", "VARCHAR"), ("date_time", "TIMESTAMP"), ("extra", "VARCHAR")),
    "auction": (("id", "BIGINT"), ("item_name", "VARCHAR"), ("description", "VARCHAR"), ("initial_bid", "BIGINT"),
                ("reserve", "BIGINT"), ("date_time", "TIMESTAMP"), ("expires", "TIMESTAMP"), ("seller", "BIGINT"),
                ("category", "BIGINT"), ("extra", "VARCHAR")),
    "bid": (("auction", "BIGINT"), ("bidder", "BIGINT"), ("price", "BIGINT"), ("channel", "VARCHAR"),
            ("url", "VARCHAR"), ("date_time", "TIMESTAMP"), ("extra", "VARCHAR")),
}


TIME = {"person": 6, "auction": 5, "bid": 5}  # the index of each stream's date_time column


# columns holding ids that grow with time: (table, column) -> the kind of id ("person" or "auction")
ID_COLUMNS = {("person", "id"): "person", ("auction", "id"): "auction", ("auction", "seller"): "person",
              ("bid", "auction"): "auction", ("bid", "bidder"): "person"}


def ddl(lateness: str | None = None, id_lateness: dict | None = None, extra: dict | None = None) -> str:
    """CREATE TABLE statements for the three streams; ``lateness`` (e.g. ``"INTERVAL '4' SECOND"``)
    declares each date_time column's watermark as Feldera does, ``id_lateness`` ({"person": n,
    "auction": n}, see ``id_lateness``) one on each column of ``ID_COLUMNS``, and ``extra``
    ({table: [column definition]}) adds columns after a table's own."""
    out = []
    for name, cols in SCHEMA.items():
        parts = []
        for c, t in cols:
            late = f" LATENESS {lateness}" if lateness and c == "date_time" else ""
            kind = ID_COLUMNS.get((name, c))
            if id_lateness and kind:
                late = f" LATENESS {id_lateness[kind]}"
            parts.append(f"{c} {t}{late}")
        parts += (extra or {}).get(name, [])
        out.append(f"CREATE TABLE {name} ({', '.join(parts)})")
    return ";\n".join(out)


def id_lateness(seconds: float, cfg: "Config | None" = None) -> dict:
    """How far below the greatest id seen so far a person or auction id may still arrive, when
    events arrive at most ``seconds`` late: the ids created in that time, plus how far below the
    newest id the generator reaches (an active person: the last ``num_active_people``; an auction in
    flight or hot: the last ``num_in_flight_auctions`` or ``HOT_RATIO_BLOCK``), plus the ``ID_LEAD``
    ids not yet created that it may name (the greatest id seen can be that far ahead)."""
    cfg = cfg or Config()
    events = seconds * cfg.rate
    persons = events * PERSON_PROPORTION / TOTAL_PROPORTION
    auctions = events * AUCTION_PROPORTION / TOTAL_PROPORTION
    return {"person": int(persons) + 1 + cfg.num_active_people + ID_LEAD,
            "auction": int(auctions) + 1 + max(cfg.num_in_flight_auctions, HOT_RATIO_BLOCK) + ID_LEAD}


@dataclass
class Config:
    rate: int = 10_000  # events per second of event time
    base_time: datetime.datetime = datetime.datetime(2015, 7, 15)
    num_active_people: int = 1000
    num_in_flight_auctions: int = 100
    hot_seller_ratio: int = 4
    hot_auction_ratio: int = 2
    hot_bidder_ratio: int = 4
    late: float = 0.0  # fraction of events emitted late
    late_by: float = 5.0  # seconds: how late a late event may arrive at most


def last_person_id(n: int) -> int:
    """The last person id (base 0) created at or before event n."""
    epoch, offset = divmod(n, TOTAL_PROPORTION)
    return epoch * PERSON_PROPORTION + min(offset, PERSON_PROPORTION - 1)


def last_auction_id(n: int) -> int:
    """The last auction id (base 0) created at or before event n (-1 before the first)."""
    epoch, offset = divmod(n, TOTAL_PROPORTION)
    if offset < PERSON_PROPORTION:
        epoch, offset = epoch - 1, AUCTION_PROPORTION - 1
    elif offset >= PERSON_PROPORTION + AUCTION_PROPORTION:
        offset = AUCTION_PROPORTION - 1
    else:
        offset -= PERSON_PROPORTION
    return epoch * AUCTION_PROPORTION + offset


class Generator:
    def __init__(self, seed: int = 0, config: Config | None = None):
        self.cfg = config or Config()
        self.rnd = random.Random(seed)
        r = self.rnd
        self._pool = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(0, 12)))
                      for _ in range(64)]
        self._channels = [(f"channel-{i}", f"https://www.nexmark.com/{self._word(5)}/{self._word(5)}/"
                           f"{self._word(5)}/item.htm?query=1&channel_id={i}") for i in range(N_CHANNELS)]
        self._hot_urls = [f"https://www.nexmark.com/{self._word(5)}/{self._word(5)}/{self._word(5)}/item.htm?query=1"
                          for _ in HOT_CHANNELS]
        self._delay_us = 1_000_000 / self.cfg.rate
        # an auction lasts about twice the time 100 more auctions take to be created
        self._horizon_us = int(self.cfg.num_in_flight_auctions * TOTAL_PROPORTION / AUCTION_PROPORTION
                               * self._delay_us)

    def _word(self, n: int) -> str:
        return "".join(self.rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))

    def timestamp(self, n: int) -> datetime.datetime:
        return self.cfg.base_time + datetime.timedelta(microseconds=int(n * self._delay_us) // 1000 * 1000)

    def _person_choice(self, n: int) -> int:
        people = last_person_id(n) + 1
        active = min(people, self.cfg.num_active_people)
        return people - active + self.rnd.randrange(active + ID_LEAD)

    def _price(self) -> int:
        return round(10.0 ** (self.rnd.random() * 6.0) * 100.0)

    def event(self, n: int):
        """Event number n as (kind, row)."""
        r = self.rnd
        ts = self.timestamp(n)
        offset = n % TOTAL_PROPORTION
        if offset < PERSON_PROPORTION:
            pid = last_person_id(n) + FIRST_PERSON_ID
            name = f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}"
            email = f"{self._word(7)}@{self._word(5)}.com"
            card = " ".join(f"{r.randrange(10000):04d}" for _ in range(4))
            return "person", (pid, name, email, card, r.choice(CITIES), r.choice(STATES), ts, r.choice(self._pool))
        if offset < PERSON_PROPORTION + AUCTION_PROPORTION:
            aid = last_auction_id(n) + FIRST_AUCTION_ID
            if r.randrange(self.cfg.hot_seller_ratio) > 0:
                seller = last_person_id(n) // HOT_RATIO_BLOCK * HOT_RATIO_BLOCK
            else:
                seller = self._person_choice(n)
            category = FIRST_CATEGORY_ID + r.randrange(NUM_CATEGORIES)
            initial = self._price()
            expires = ts + datetime.timedelta(milliseconds=1 + r.randrange(max(2 * self._horizon_us // 1000, 1)))
            reserve = initial + self._price()
            return "auction", (aid, f"item-{aid}", r.choice(self._pool), initial, reserve, ts, expires,
                               seller + FIRST_PERSON_ID, category, r.choice(self._pool))
        last = last_auction_id(n)
        if r.randrange(self.cfg.hot_auction_ratio) > 0:
            auction = last // HOT_RATIO_BLOCK * HOT_RATIO_BLOCK
        else:
            low = max(last - self.cfg.num_in_flight_auctions, 0)
            auction = low + r.randrange(last - low + 1 + ID_LEAD)
        if r.randrange(self.cfg.hot_bidder_ratio) > 0:
            bidder = last_person_id(n) // HOT_RATIO_BLOCK * HOT_RATIO_BLOCK + 1
        else:
            bidder = self._person_choice(n)
        price = self._price()
        if r.randrange(10) > 0:
            i = r.randrange(len(HOT_CHANNELS))
            channel, url = HOT_CHANNELS[i], self._hot_urls[i]
        else:
            channel, url = self._channels[r.randrange(N_CHANNELS)]
        return "bid", (auction + FIRST_AUCTION_ID, bidder + FIRST_PERSON_ID, price, channel, url, ts,
                       r.choice(self._pool))

    def events(self, count: int, start: int = 0):
        """Events start .. start+count-1 in arrival order: (kind, row).  Late events (``Config.late``)
        arrive up to ``late_by`` seconds of event time after their turn."""
        cfg = self.cfg
        if cfg.late <= 0:
            for n in range(start, start + count):
                yield self.event(n)
            return
        import heapq
        held = []  # (arrival event number, n, event)
        late_events = int(cfg.late_by * cfg.rate)
        for n in range(start, start + count):
            ev = self.event(n)
            if self.rnd.random() < cfg.late:
                heapq.heappush(held, (n + 1 + self.rnd.randrange(max(late_events, 1)), n, ev))
                continue
            while held and held[0][0] <= n:
                yield heapq.heappop(held)[2]
            yield ev
        while held:
            yield heapq.heappop(held)[2]


def batches(gen: Generator, count: int, size: int, start: int = 0):
    """Events grouped into steps of ``size``: each a dict {kind: [rows]}."""
    out = {"person": [], "auction": [], "bid": []}
    k = 0
    for kind, row in gen.events(count, start):
        out[kind].append(row)
        k += 1
        if k == size:
            yield out
            out = {"person": [], "auction": [], "bid": []}
            k = 0
    if k:
        yield out
