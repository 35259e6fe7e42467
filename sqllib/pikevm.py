"""A regular expression matcher that never backtracks: a Pike VM (Thompson's NFA simulation with
capture slots), in time O(length of text × size of pattern) for any pattern.

It runs the syntax trees re2.py builds (``("set", ranges)``, ``("cat", [..])``, ``("alt", [..])``,
``("rep", node, lo, hi, greedy)``, ``("group", n, node)``, ``("assert", kind)``) with the semantics
of a backtracking matcher, which is what RE2 and Python's re both give: of all the ways a pattern
can match, the leftmost start wins, and among those the first in priority order (alternatives left
to right, a greedy repetition preferring one more round, a lazy one one fewer).  The laws it relies
on:

- threads are kept in priority order, and two threads at the same instruction and position behave
  alike from then on, so only the first (highest priority) is kept: at most one thread per
  instruction, hence the linear bound;
- once a thread matches, every lower-priority thread is dropped and no new start is tried, while
  the higher-priority ones run on (one of them may still match, and would win).

No repeated subpattern can match the empty string (re2.py refuses those: RE2 and Python's re disagree
on what they capture), so no loop runs without consuming a character.  Positions and anchors follow
Python's re, which the search loops of patterns.py are written against: ``search(s, pos)`` starts at
``pos`` but ``\\A`` and ``^`` see the real start of ``s`` and ``\\b`` sees the character before ``pos``.
"""

from __future__ import annotations

import bisect

_CHAR, _SPLIT, _JMP, _SAVE, _ASSERT, _MATCH = range(6)
_WORD = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


class CharSet:
    """A set of characters given as sorted, disjoint (lo, hi) code point ranges; membership answers
    are remembered per character (texts repeat characters)."""

    __slots__ = ("los", "his", "seen")

    def __init__(self, ranges):
        self.los = [lo for lo, _ in ranges]
        self.his = [hi for _, hi in ranges]
        self.seen = {}

    def __contains__(self, c: str) -> bool:
        hit = self.seen.get(c)
        if hit is None:
            cp = ord(c)
            i = bisect.bisect_right(self.los, cp) - 1
            hit = self.seen[c] = i >= 0 and cp <= self.his[i]
            if len(self.seen) > 4096:
                self.seen.clear()
        return hit


def _compile(node, prog: list) -> None:
    """Append the instructions of ``node`` to ``prog``."""
    kind = node[0]
    if kind == "set":
        prog.append((_CHAR, CharSet(node[1])))
    elif kind == "cat":
        for n in node[1]:
            _compile(n, prog)
    elif kind == "alt":
        # split L1, next; L1: a; jmp end; next: split L2, next2; ... ; last alternative
        jumps = []
        branches = node[1]
        for n in branches[:-1]:
            split = len(prog)
            prog.append(None)
            _compile(n, prog)
            jumps.append(len(prog))
            prog.append(None)
            prog[split] = (_SPLIT, split + 1, len(prog))
        _compile(branches[-1], prog)
        for j in jumps:
            prog[j] = (_JMP, len(prog))
    elif kind == "group":
        prog.append((_SAVE, 2 * node[1]))
        _compile(node[2], prog)
        prog.append((_SAVE, 2 * node[1] + 1))
    elif kind == "assert":
        prog.append((_ASSERT, node[1]))
    elif kind == "rep":
        _, body, lo, hi, greedy = node
        for _ in range(lo):
            _compile(body, prog)
        if hi < 0:  # L: split body, out; body; jmp L
            split = len(prog)
            prog.append(None)
            _compile(body, prog)
            prog.append((_JMP, split))
            prog[split] = _split(split + 1, len(prog), greedy)
        else:  # (body (body …)?)? nested hi - lo times
            splits = []
            for _ in range(hi - lo):
                splits.append(len(prog))
                prog.append(None)
                _compile(body, prog)
            for s in splits:
                prog[s] = _split(s + 1, len(prog), greedy)
    else:
        raise ValueError(f"unknown node {kind!r}")


def _split(body: int, out: int, greedy: bool):
    return (_SPLIT, body, out) if greedy else (_SPLIT, out, body)


def _holds(kind: str, s: str, i: int) -> bool:
    n = len(s)
    if kind == "bos":
        return i == 0
    if kind == "eos":
        return i == n
    if kind == "bol":
        return i == 0 or s[i - 1] == "\n"
    if kind == "eol":
        return i == n or s[i] == "\n"
    before = i > 0 and s[i - 1] in _WORD
    after = i < n and s[i] in _WORD
    return (before != after) == (kind == "wordb")


class Match:
    """What a match found, as Python's re.Match gives it (the parts patterns.py uses)."""

    __slots__ = ("string", "slots")

    def __init__(self, string: str, slots):
        self.string, self.slots = string, slots

    def span(self, group: int = 0):
        a, b = self.slots[2 * group], self.slots[2 * group + 1]
        return (-1, -1) if a is None or b is None else (a, b)

    def start(self, group: int = 0) -> int:
        return self.span(group)[0]

    def end(self, group: int = 0) -> int:
        return self.span(group)[1]

    def group(self, group: int = 0):
        a, b = self.span(group)
        return None if a < 0 else self.string[a:b]


class Program:
    """A compiled pattern: ``search(s, pos)`` and ``fullmatch(s)`` as Python's re.Pattern has them."""

    def __init__(self, node, groups: int):
        prog: list = [(_SAVE, 0)]
        _compile(node, prog)
        prog += [(_SAVE, 1), (_MATCH,)]
        self.prog = prog
        self.nslots = 2 * (groups + 1)

    def search(self, s: str, pos: int = 0, endpos=None):
        return self._run(s, max(0, min(pos, len(s))), anchored=False, full=False)

    def fullmatch(self, s: str):
        return self._run(s, 0, anchored=True, full=True)

    def _add(self, threads: list, seen: set, pc: int, slots: tuple, s: str, i: int) -> None:
        """Add the thread at ``pc`` and everything it reaches without reading a character, in
        priority order, skipping instructions a higher-priority thread already holds."""
        prog = self.prog
        stack = [(pc, slots)]
        while stack:
            pc, slots = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op = prog[pc]
            code = op[0]
            if code == _JMP:
                stack.append((op[1], slots))
            elif code == _SPLIT:
                stack.append((op[2], slots))  # popped after everything op[1] reaches
                stack.append((op[1], slots))
            elif code == _SAVE:
                k = op[1]
                stack.append((pc + 1, slots[:k] + (i,) + slots[k + 1:]))
            elif code == _ASSERT:
                if _holds(op[1], s, i):
                    stack.append((pc + 1, slots))
            else:  # a character test or the match: a thread that waits for the next position
                threads.append((pc, slots))

    def _run(self, s: str, pos: int, anchored: bool, full: bool):
        prog, n = self.prog, len(s)
        start = (None,) * self.nslots
        threads: list = []
        self._add(threads, set(), 0, start, s, pos)
        matched = None
        i = pos
        while True:
            c = s[i] if i < n else None
            following: list = []
            seen: set = set()
            for pc, slots in threads:
                op = prog[pc]
                if op[0] == _MATCH:
                    if full and i != n:
                        continue
                    matched = slots
                    break  # the threads after this one have lower priority
                if c is not None and c in op[1]:
                    self._add(following, seen, pc + 1, slots, s, i + 1)
            if i >= n:
                break
            i += 1
            if matched is None and not anchored:
                self._add(following, seen, 0, start, s, i)  # a match starting here: lowest priority
            threads = following
            if not threads and (matched is not None or anchored):
                break
        return None if matched is None else Match(s, matched)
