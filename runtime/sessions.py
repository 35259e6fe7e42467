"""Session windows of one partition: the rows by time, and the sessions they form.

Sessions are a function of the set of times present: sort them; two consecutive times a < b are in
one session when ``b <= end(a)`` (``end(t) = t + gap``: a gap of exactly ``gap`` joins); a session
is ``[start, end(last))`` for its first and last time.  So a change touches only its neighbours:

- a new time t joins the session before it if ``t <= end(last)``, the session after it if
  ``start <= end(t)``: it extends one, merges two into one, or starts its own;
- a time that goes (its last row deleted) shortens its session, ends it, or splits it in two where
  the times around it are now more than ``gap`` apart.

``Partition`` keeps the times (a sorted list), the rows at each time, and the sessions (their
starts, a sorted list, and for each start a record ``[start, last, sid]``); each structural change
is reported to a listener (``moved``), which is how the operators keep per-session results
(runtime/operators/session.py).  Undo is the inverse change: sessions being a function of the
times, removing what was added restores them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort


class Partition:
    __slots__ = ("times", "rows", "starts", "sessions")

    def __init__(self):
        self.times: list = []  # distinct times present, sorted
        self.rows: dict = {}  # time -> {row: weight}
        self.starts: list = []  # session starts, sorted
        self.sessions: dict = {}  # start -> [start, last, sid]

    def session_of(self, t):
        """The session record holding time t (present in ``times``)."""
        return self.sessions[self.starts[bisect_right(self.starts, t) - 1]]

    def rows_between(self, lo, hi):
        """(time, row, weight) of the rows with lo <= time <= hi."""
        times = self.times
        for t in times[bisect_left(times, lo):bisect_right(times, hi)]:
            for row, w in self.rows[t].items():
                yield t, row, w

    # -- structure ------------------------------------------------------------------------------
    def add_time(self, t, end, new_sid, listener) -> list:
        """Insert time t (not present yet) and update the sessions; returns the record holding t."""
        insort(self.times, t)
        starts, sessions = self.starts, self.sessions
        i = bisect_right(starts, t) - 1
        left = sessions[starts[i]] if i >= 0 else None
        right = sessions[starts[i + 1]] if i + 1 < len(starts) else None
        joins_left = left is not None and t <= end(left[1])
        joins_right = right is not None and right[0] <= end(t)
        if joins_left and joins_right:
            listener.merged(self, left, right)  # before the records change: the listener reads them
            del sessions[right[0]]
            del starts[i + 1]
            if right[1] > left[1]:
                left[1] = right[1]
            return left
        if joins_left:
            if t > left[1]:
                listener.reshaped(self, left)
                left[1] = t
            return left
        if joins_right:
            listener.reshaped(self, right)
            del sessions[right[0]]
            right[0] = t
            starts[i + 1] = t
            sessions[t] = right
            return right
        rec = [t, t, new_sid()]
        starts.insert(i + 1, t)
        sessions[t] = rec
        listener.created(self, rec)
        return rec

    def remove_time(self, t, end, new_sid, listener) -> None:
        """Remove time t (no row left at it) and update the sessions."""
        times = self.times
        k = bisect_left(times, t)
        del times[k]
        starts, sessions = self.starts, self.sessions
        i = bisect_right(starts, t) - 1
        rec = sessions[starts[i]]
        start, last = rec[0], rec[1]
        prev = times[k - 1] if k > 0 and times[k - 1] >= start else None
        nxt = times[k] if k < len(times) and times[k] <= last else None
        if prev is None and nxt is None:
            listener.ended(self, rec)
            del sessions[start]
            del starts[i]
        elif prev is None:
            listener.reshaped(self, rec)
            del sessions[start]
            rec[0] = nxt
            starts[i] = nxt
            sessions[nxt] = rec
        elif nxt is None:
            listener.reshaped(self, rec)
            rec[1] = prev
        elif nxt > end(prev):
            other = [nxt, last, new_sid()]
            listener.reshaped(self, rec)
            rec[1] = prev
            starts.insert(i + 1, nxt)
            sessions[nxt] = other
            listener.split(self, rec, other)

    # -- rows -----------------------------------------------------------------------------------
    def add_row(self, t, row, w: int) -> bool:
        """rows[t][row] += w; True if t is a new time."""
        bucket = self.rows.get(t)
        if bucket is None:
            self.rows[t] = {row: w}
            return True
        n = bucket.get(row, 0) + w
        if n:
            bucket[row] = n
        else:
            del bucket[row]
        return False

    def time_empty(self, t) -> bool:
        if self.rows[t]:
            return False
        del self.rows[t]
        return True


class Listener:
    """What a session operator does as sessions change (each method before the record changes,
    except ``created`` and ``split``, which see the new records)."""

    def created(self, part, rec) -> None:
        pass

    def reshaped(self, part, rec) -> None:  # its start or last is about to change
        pass

    def merged(self, part, left, right) -> None:  # right is about to join left
        pass

    def ended(self, part, rec) -> None:  # its last time is about to go
        pass

    def split(self, part, rec, other) -> None:  # the times of ``other`` left ``rec``
        pass
