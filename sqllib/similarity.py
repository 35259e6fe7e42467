"""String similarity and distance functions, as DuckDB computes them (NULL in, NULL out).  All of
them count characters (code points), not bytes: DuckDB's levenshtein('ä', 'a') is 1.

- levenshtein: insertions, deletions and substitutions; damerau_levenshtein adds the transposition
  of two adjacent characters, unrestricted (a transposed pair may be edited again: 'ca' to 'abc'
  is 2, where the restricted "optimal string alignment" distance is 3); hamming counts the
  positions that differ between strings of one length.
- jaro_similarity: m matching characters (equal, at most max(|a|, |b|) // 2 - 1 apart, each used
  once) and t half the matches out of order: (m/|a| + m/|b| + (m - t)/m) / 3, 0 if m = 0 or a
  string is empty.  jaro_winkler_similarity adds l * 0.1 * (1 - jaro) for a common prefix of l <= 4
  characters when jaro > 0.7.  A score below the optional cutoff is 0.
- jaccard: |A ∩ B| / |A ∪ B| of the two strings' sets of characters; an empty string is an error.
"""

from __future__ import annotations

from .errors import DataError


def levenshtein(a, b):
    if a is None or b is None:
        return None
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def damerau_levenshtein(a, b):
    """The unrestricted Damerau-Levenshtein distance (Lowrance and Wagner's algorithm)."""
    if a is None or b is None:
        return None
    n, m = len(a), len(b)
    far = n + m
    last_row = {}  # character -> the last row of a where it occurred
    d = [[far] * (m + 2)] + [[far] + [0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i + 1][1] = i
    for j in range(m + 1):
        d[1][j + 1] = j
    for i in range(1, n + 1):
        last_col = 0  # the last column of this row where a[i] matched
        for j in range(1, m + 1):
            k = last_row.get(b[j - 1], 0)
            l_ = last_col
            cost = 0 if a[i - 1] == b[j - 1] else 1
            if cost == 0:
                last_col = j
            d[i + 1][j + 1] = min(d[i][j] + cost, d[i + 1][j] + 1, d[i][j + 1] + 1,
                                  d[k][l_] + (i - k - 1) + 1 + (j - l_ - 1))
        last_row[a[i - 1]] = i
    return d[n + 1][m + 1]


def hamming(a, b):
    if a is None or b is None:
        return None
    if not a or not b:  # DuckDB's 'Strings must be of length > 0'
        raise DataError("hamming: the strings must not be empty")
    if len(a) != len(b):
        raise DataError("hamming: the strings must be of the same length")
    return sum(x != y for x, y in zip(a, b))


_NO_CUTOFF = -1.0  # (a cutoff given as NULL makes the result NULL)


def jaro_similarity(a, b, cutoff=_NO_CUTOFF):
    if a is None or b is None or cutoff is None:
        return None
    score = _jaro(a, b)
    return 0.0 if score < cutoff else score


def jaro_winkler_similarity(a, b, cutoff=_NO_CUTOFF):
    if a is None or b is None or cutoff is None:
        return None
    score = _jaro(a, b)
    if score > 0.7:
        prefix = 0
        for x, y in zip(a[:4], b[:4]):
            if x != y:
                break
            prefix += 1
        score += prefix * 0.1 * (1.0 - score)
    return 0.0 if score < cutoff else score


def _jaro(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    used = [False] * len(b)
    matched_a = []
    for i, c in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not used[j] and b[j] == c:
                used[j] = True
                matched_a.append(c)
                break
    m = len(matched_a)
    if m == 0:
        return 0.0
    matched_b = [c for c, u in zip(b, used) if u]
    t = sum(x != y for x, y in zip(matched_a, matched_b)) // 2
    return (m / len(a) + m / len(b) + (m - t) / m) / 3.0


def jaccard(a, b):
    if a is None or b is None:
        return None
    if not a or not b:
        raise DataError("jaccard: an argument is an empty string")
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb)
