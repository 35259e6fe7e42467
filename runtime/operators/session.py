"""Session windows, incremental per partition key: each input row extended with its session's
``window_start`` and ``window_end`` (``Session``), or one aggregate row per session
(``SessionAggregate``: GROUP BY the partition columns and the session bounds, fused, so that a
row joining a long session updates one group instead of re-emitting every row of the session).

Sessions of a partition are a function of the times present (runtime/sessions.py), so a change
touches its partition's neighbouring sessions only:

    Δout = Σ_{sessions s touched} out(s after the step) - out(s before the step)

where ``out(s)`` is the session's rows with its bounds (Session) or its one aggregate row
(SessionAggregate).  A SessionAggregate keeps a reducer state per session (the aggregate's own,
exactly invertible: runtime/operators/aggregate.py); when two sessions merge, the rows of the
smaller one are folded into the larger one's state; when a deletion splits a session, the rows of
the new session move out.

Undo (a failed step) applies the step's changes in reverse with the opposite sign through the same
code, which restores the sessions (a function of the times) and the reducer states (invertible);
the emitted outputs are restored from what the step replaced.  With an ``expiry`` (a bound below
which no later row's time falls), sessions ending below it are dropped with their rows: a later
row at time t can only reach sessions ending at or after t.
"""

from __future__ import annotations

from ..circuit import Operator
from ..sessions import Listener, Partition


class _Sessions(Operator, Listener):
    state = ("parts", "outputs", "next_sid")
    expiry = None  # an Expiry over (partition key, sid, end), valued by the session's end when noted

    def __init__(self, source: Operator, partition_fn, time_fn, end_fn, name: str = ""):
        super().__init__(source)
        self.partition_fn = partition_fn  # row -> partition key (a tuple)
        self.time_fn = time_fn  # row -> its time (None: in no session)
        self.end_fn = end_fn  # time -> time + gap
        self.name = name
        self.parts: dict = {}  # partition key -> Partition
        self.outputs: dict = {}  # (partition key, start) -> what the session emits
        self.next_sid = 0
        self._stale: dict = {}  # output keys whose emission the step changes
        self._fresh: dict = {}  # id(record) -> (partition key, record) to emit again
        self._key = None  # the partition key being changed (for the listener)

    def new_sid(self) -> int:
        self.next_sid += 1
        return self.next_sid

    # -- listener (sessions change): note what to emit again ---------------------------------------
    def _touch(self, rec) -> None:
        self._stale[(self._key, rec[0])] = None
        self._fresh[id(rec)] = (self._key, rec)

    def created(self, part, rec) -> None:
        self._touch(rec)

    reshaped = ended = created

    def merged(self, part, left, right) -> None:
        self._touch(left)
        self._touch(right)

    def split(self, part, rec, other) -> None:
        self._touch(rec)
        self._touch(other)

    # -- evaluation -------------------------------------------------------------------------------
    def eval(self, delta: dict) -> dict:
        changes = self._prepare(delta)  # user code first: nothing has changed if it fails
        self._stale, self._fresh = {}, {}
        done: list = []
        saved: dict = {}
        self.journal.record(self._undo, (done, saved))
        for change in changes:
            self._apply(change, 1)
            done.append(change)
        out: dict = {}
        self._emit(out, saved)
        if self.expiry is not None:
            self._expire(saved)
        return {r: w for r, w in out.items() if w}

    def _prepare(self, delta: dict) -> list:
        """(partition key, time, row, weight, extra) of every row with a time."""
        pf, tf = self.partition_fn, self.time_fn
        extras = self._extras(delta)
        out = []
        for (row, w), extra in zip(delta.items(), extras):
            t = tf(row)
            if t is not None:
                out.append((pf(row), t, row, w, extra))
        return out

    def _extras(self, delta: dict) -> list:
        return [None] * len(delta)

    def _apply(self, change, sign: int) -> None:
        key, t, row, w, extra = change
        w *= sign
        self._key = key
        part = self.parts.get(key)
        if part is None:
            part = self.parts[key] = Partition()
        if w > 0:
            if part.add_row(t, row, w):
                rec = part.add_time(t, self.end_fn, self.new_sid, self)
            else:
                rec = part.session_of(t)
            self._touch(rec)
            self._fold(rec, extra, sign)
        else:
            rec = part.session_of(t)
            self._touch(rec)
            self._fold(rec, extra, sign)
            part.add_row(t, row, w)
            if part.time_empty(t):
                part.remove_time(t, self.end_fn, self.new_sid, self)
                if not part.times:
                    del self.parts[key]

    def _fold(self, rec, extra, sign: int) -> None:
        """Account for a row's change in session ``rec`` (sign -1: undo it)."""

    def _emit(self, out: dict, saved: dict) -> None:
        outputs = self.outputs
        for key in self._stale:
            old = outputs.pop(key, None)
            saved.setdefault(key, old)
            if old is not None:
                self._retract(old, out)
        for key, rec in self._fresh.values():
            part = self.parts.get(key)
            if part is None or part.sessions.get(rec[0]) is not rec:
                continue  # the session is gone (merged away or ended)
            k = (key, rec[0])
            saved.setdefault(k, outputs.get(k))
            new = self._output(key, part, rec)
            outputs[k] = new
            self._add(new, out)
            if self.expiry is not None:
                self.expiry.note((key, rec[2], self.end_fn(rec[1])))

    def _undo(self, saved_state) -> None:
        done, saved = saved_state
        self._stale, self._fresh = {}, {}
        for change in reversed(done):
            self._apply(change, -1)
        for k, old in saved.items():
            if old is None:
                self.outputs.pop(k, None)
            else:
                self.outputs[k] = old
        if self.expiry is not None:  # undoing may give a session a new sid: note them again
            for key in {change[0] for change in done}:
                part = self.parts.get(key)
                for rec in (part.sessions.values() if part is not None else ()):
                    self.expiry.note((key, rec[2], self.end_fn(rec[1])))

    # -- expiry -----------------------------------------------------------------------------------
    def _expire(self, saved: dict) -> None:
        expiry = self.expiry
        popped = expiry.due()
        if not popped:
            return
        bound = expiry.bound()
        dropped = []
        for _, _, (key, sid, _) in popped:
            part = self.parts.get(key)
            rec = next((r for r in part.sessions.values() if r[2] == sid), None) if part is not None else None
            if rec is None:
                continue
            end = self.end_fn(rec[1])
            if not end < bound:
                expiry.note((key, sid, end))  # it grew since: wait for its new end
                continue
            dropped.append((key, self._drop(key, part, rec)))
        self.journal.record(self._unexpire, (popped, dropped))

    def _drop(self, key, part, rec):
        """Remove a closed session with its rows (its output stays emitted); returns what it removed."""
        rows = [(t, part.rows.pop(t)) for t in part.times if rec[0] <= t <= rec[1]]
        part.times = [t for t in part.times if not rec[0] <= t <= rec[1]]
        i = part.starts.index(rec[0])
        del part.starts[i]
        del part.sessions[rec[0]]
        output = self.outputs.pop((key, rec[0]), None)
        if not part.times:
            del self.parts[key]
        return rec, rows, output, self._forget(rec)

    def _forget(self, rec):
        return None

    def _unexpire(self, saved) -> None:
        from bisect import insort
        popped, dropped = saved
        for key, (rec, rows, output, extra) in reversed(dropped):
            part = self.parts.get(key)
            if part is None:
                part = self.parts[key] = Partition()
            for t, bucket in rows:
                insort(part.times, t)
                part.rows[t] = bucket
            insort(part.starts, rec[0])
            part.sessions[rec[0]] = rec
            if output is not None:
                self.outputs[(key, rec[0])] = output
            self._remember(rec, extra)
        self.expiry.restore(popped)

    def _remember(self, rec, extra) -> None:
        pass

    def after_import(self) -> None:
        if self.expiry is not None:
            self.expiry.rebuild((key, rec[2], self.end_fn(rec[1])) for key, part in self.parts.items()
                                for rec in part.sessions.values())

    @staticmethod
    def _add(row, out) -> None:
        out[row] = out.get(row, 0) + 1

    @staticmethod
    def _retract(row, out) -> None:
        out[row] = out.get(row, 0) - 1


class Session(_Sessions):
    """Each row with its session's (start, start's end … end(last)): outputs are {row: weight} per session."""

    def _output(self, key, part, rec) -> dict:
        bounds = (rec[0], self.end_fn(rec[1]))
        return {row + bounds: w for _, row, w in part.rows_between(rec[0], rec[1])}

    @staticmethod
    def _add(rows, out) -> None:
        for r, w in rows.items():
            out[r] = out.get(r, 0) + w

    @staticmethod
    def _retract(rows, out) -> None:
        for r, w in rows.items():
            out[r] = out.get(r, 0) - w

    def describe(self) -> str:
        drops = f", drops {self.expiry.text}" if self.expiry is not None else ""
        return f"Session[{self.name}{drops}]" if self.name or drops else "Session"


class SessionAggregate(_Sessions):
    """GROUP BY partition columns and session bounds: one row per session, ``key_plan`` saying
    what each group-key column is (("part", j): partition key part j, ("start",), ("end",)),
    followed by the reducer's results."""

    state = ("parts", "outputs", "next_sid", "groups")

    def __init__(self, source, partition_fn, time_fn, end_fn, reducer, key_plan, name: str = ""):
        super().__init__(source, partition_fn, time_fn, end_fn, name)
        self.reducer = reducer  # a CompiledReducer keyed by the partition key (runtime/operators/aggregate.py)
        self.key_plan = tuple(key_plan)
        self.groups: dict = {}  # sid -> [row count, reducer state]

    def _extras(self, delta: dict) -> list:
        return self.reducer.extract(delta, None)

    def _fold(self, rec, item, sign: int) -> None:
        self.reducer.apply(self.groups, [(rec[2],) + item[1:]], sign)
        if not self.groups[rec[2]][0]:
            del self.groups[rec[2]]

    def _move(self, part, lo, hi, source_sid, target_sid) -> None:
        """Move the rows with times in [lo, hi] from one session's group to another's."""
        rows = {row: w for _, row, w in part.rows_between(lo, hi)}
        if not rows:
            return
        items = self.reducer.extract(rows, None)
        apply = self.reducer.apply
        apply(self.groups, [(source_sid,) + it[1:] for it in items], -1)
        apply(self.groups, [(target_sid,) + it[1:] for it in items], 1)
        for sid in (source_sid, target_sid):
            if sid in self.groups and not self.groups[sid][0]:
                del self.groups[sid]

    def merged(self, part, left, right) -> None:
        super().merged(part, left, right)
        count = self.groups.get
        if (count(right[2]) or [0])[0] > (count(left[2]) or [0])[0]:
            # the larger group survives, in left's record: move left's rows out of its old group
            left[2], right[2] = right[2], left[2]
            self._move(part, left[0], left[1], right[2], left[2])
        else:
            self._move(part, right[0], right[1], right[2], left[2])
        self.groups.pop(right[2], None)

    def split(self, part, rec, other) -> None:
        super().split(part, rec, other)
        self._move(part, other[0], other[1], rec[2], other[2])

    def _output(self, key, part, rec):
        g = self.groups[rec[2]]
        vals = []
        for what in self.key_plan:
            if what[0] == "part":
                vals.append(key[what[1]])
            elif what[0] == "start":
                vals.append(rec[0])
            else:
                vals.append(self.end_fn(rec[1]))
        return tuple(vals) + self.reducer.result(g)

    def _forget(self, rec):
        return self.groups.pop(rec[2], None)

    def _remember(self, rec, group) -> None:
        if group is not None:
            self.groups[rec[2]] = group

    def describe(self) -> str:
        drops = f", drops {self.expiry.text}" if self.expiry is not None else ""
        return f"SessionAggregate[{self.name}{drops}]" if self.name or drops else "SessionAggregate"
