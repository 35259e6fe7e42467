"""Differential tests of WITH RECURSIVE under random edge inserts/deletes, against DuckDB and, where
DuckDB cannot say (mutual recursion) or as a second opinion, a naive fixpoint in plain Python."""


from tests.harness import RETRACT_ALL, Spec, ViewSpec, check_steps, streams_test

DDL = "CREATE TABLE e(src INT, dst INT); CREATE TABLE blocked(node INT)"
NODES = [0, 1, 2, 3, 4]
DOMAINS = {"src": NODES, "dst": NODES, "node": [1, 2, 3]}

TC = ("WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM e UNION SELECT r.a, e.dst FROM r JOIN e ON r.b = e.src) "
      "SELECT a, b FROM r")
REACH = "WITH RECURSIVE r(n) AS (SELECT 0 UNION SELECT e.dst FROM r JOIN e ON r.n = e.src) SELECT n FROM r"


# -- naive fixpoints in plain Python --------------------------------------------------------------

def fixpoint(step, start):
    """Iterate ``x = step(x)`` from ``start`` until nothing changes (sets, or sorted lists for bags)."""
    x = start
    for _ in range(10_000):
        nxt = step(x)
        if nxt == x:
            return x
        x = nxt
    raise AssertionError("the oracle's fixpoint did not converge")


def edges(tables):
    return [(a, b) for a, b in tables["e"]]


def oracle_tc(tables):
    E = edges(tables)
    base = {(a, b) for a, b in E}
    return sorted(fixpoint(lambda r: base | {(a, d) for a, b in r for c, d in E if b is not None and b == c},
                           base), key=repr)


def oracle_reach_blocked(tables):
    """NOT EXISTS (blocked.node = dst): a NULL dst equals no node, so it is never blocked."""
    E = edges(tables)
    blocked = {n for (n,) in tables["blocked"] if n is not None}
    return [(n,) for n in fixpoint(lambda r: {0} | {d for n in r for c, d in E
                                                    if c is not None and n == c and d not in blocked}, {0})]


def oracle_even_odd(tables):
    """ev(n) = {0} ∪ {dst of an edge from od}; od(n) = bag of dst of edges from ev (no UNION: a bag)."""
    E = edges(tables)

    def step(state):
        ev, od = state
        od2 = tuple(sorted((d for n in ev for c, d in E if c is not None and c == n), key=repr))
        ev2 = frozenset({0} | {d for n in set(od) for c, d in E if c is not None and c == n})
        return ev2, od2

    _, od = fixpoint(step, (frozenset({0}), ()))
    return [(n,) for n in od]


def oracle_mutual_closure(tables):
    """odd = set(edges ∪ even⋈edges); even = the bag odd⋈edges (no UNION: duplicate edges count)."""
    E = edges(tables)

    def step(state):
        odd, even = state
        odd2 = frozenset(set(E) | {(a, d) for a, b in set(even) for c, d in E if b is not None and b == c})
        even2 = tuple(sorted(((a, d) for a, b in odd for c, d in E if b is not None and b == c), key=repr))
        return odd2, even2

    odd, even = fixpoint(step, (frozenset(), ()))
    return [("odd", a, b) for a, b in odd if a is not None and b is not None] + \
        [("even", a, b) for a, b in even if a is not None and b is not None]


def spec(views, **kw):
    return Spec(DDL, views, **{"domains": DOMAINS, **kw})


SPECS = {
    "closure": spec({
        "v_tc": TC,
        "v_tc_py": ViewSpec(TC, oracle=oracle_tc),
        "v_reach": REACH,
        "v_reach_late": ViewSpec(REACH, create_at=3),
    }),
    "union_all": spec({
        "v_paths": "WITH RECURSIVE p(a, b, d) AS (SELECT src, dst, 1 FROM e UNION ALL "
                   "SELECT p.a, e.dst, d + 1 FROM p JOIN e ON p.b = e.src WHERE d < 3) SELECT a, b, d FROM p",
        "v_counter": "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5) SELECT n FROM c",
        "v_counter_rows": "WITH RECURSIVE c(s, n) AS (SELECT src, 1 FROM e UNION ALL SELECT s, n + 1 FROM c "
                          "WHERE n < 3) SELECT s, n FROM c",
        "v_counter_join": "WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < 4) "
                          "SELECT c.n, COUNT(e.src) AS k FROM c LEFT JOIN e ON e.src = c.n GROUP BY c.n",
    }),
    "views_over_recursive": spec({
        "tc": TC,
        "v_outdeg": "SELECT a, COUNT(*) AS n FROM tc GROUP BY a",
        "v_cycles": "SELECT a FROM tc WHERE a = b",
        "v_not_symmetric": "SELECT a, b FROM tc WHERE NOT EXISTS (SELECT 1 FROM tc t2 WHERE t2.a = tc.b AND t2.b = tc.a)",
        "v_unreached": "SELECT DISTINCT src FROM e WHERE src NOT IN (SELECT b FROM tc WHERE b IS NOT NULL)",
        "v_late": ViewSpec("SELECT tc.a, e.dst FROM tc JOIN e ON tc.b = e.src", create_at=2),
    }),
    "lower_strata": spec({  # negation / aggregation of a non-recursive relation inside the recursive term
        "v_not_in": "WITH RECURSIVE r(n) AS (SELECT 0 UNION SELECT e.dst FROM r JOIN e ON r.n = e.src "
                    "WHERE e.dst NOT IN (SELECT node FROM blocked WHERE node IS NOT NULL)) SELECT n FROM r",
        "v_not_exists": ViewSpec("WITH RECURSIVE r(n) AS (SELECT 0 UNION SELECT e.dst FROM r JOIN e ON r.n = e.src "
                                 "WHERE NOT EXISTS (SELECT 1 FROM blocked b WHERE b.node = e.dst)) SELECT n FROM r",
                                 oracle=oracle_reach_blocked),
        "v_degree": "WITH RECURSIVE deg AS (SELECT src, COUNT(*) AS c FROM e GROUP BY src), "
                    "r(n) AS (SELECT 0 UNION SELECT e.dst FROM r JOIN e ON r.n = e.src JOIN deg ON deg.src = e.dst "
                    "WHERE deg.c >= 2) SELECT n FROM r",
    }),
    "mutual": spec({
        "v_even_odd": ViewSpec("WITH RECURSIVE ev(n) AS (SELECT 0 UNION SELECT e.dst FROM od JOIN e ON od.n = e.src), "
                               "od(n) AS (SELECT e.dst FROM ev JOIN e ON ev.n = e.src) SELECT n FROM od",
                               oracle=oracle_even_odd),
        "v_odd_even_paths": ViewSpec(
            "WITH RECURSIVE odd(a, b) AS (SELECT src, dst FROM e UNION SELECT ev.a, e.dst FROM ev JOIN e ON ev.b = e.src), "
            "ev(a, b) AS (SELECT odd.a, e.dst FROM odd JOIN e ON odd.b = e.src) "
            "SELECT 'odd' AS k, a, b FROM odd WHERE a IS NOT NULL AND b IS NOT NULL "
            "UNION ALL SELECT 'even', a, b FROM ev WHERE a IS NOT NULL AND b IS NOT NULL",
            oracle=oracle_mutual_closure),
    }),
    "join_shapes": spec({  # the recursive join's generated probe (codegen.nested_probe): residual, keys
        "v_residual": "WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM e UNION SELECT r.a, e.dst FROM r JOIN e "
                      "ON r.b = e.src AND e.dst <> r.a) SELECT a, b FROM r",
        "v_two_keys": "WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM e UNION SELECT e.dst, e.src FROM r JOIN e "
                      "ON r.b = e.src AND r.a = e.dst) SELECT a, b FROM r",
        "v_null_safe": "WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM e UNION SELECT r.a, e.dst FROM r JOIN e "
                       "ON r.b IS NOT DISTINCT FROM e.src) SELECT a, b FROM r",
    }),
    "nested": spec({  # a recursion inside the recursive term of another (3-D time)
        "v_nested": "WITH RECURSIVE r(n) AS (SELECT 0 UNION SELECT x.b FROM (WITH RECURSIVE tc(a, b) AS "
                    "(SELECT r.n, r.n FROM r UNION SELECT tc.a, e.dst FROM tc JOIN e ON tc.b = e.src) "
                    "SELECT a, b FROM tc) x) SELECT n FROM r",
    }),
}


test_recursion = streams_test(SPECS, 12)


def test_cycle_edges_deleted_and_reinserted():
    """A 3-cycle: delete one of its edges (everything it supported goes), delete and re-insert an edge
    in one step (nothing changes), duplicate edges (one copy deleted: nothing changes)."""
    s = spec({"tc": TC, "reach": REACH, "tc_py": ViewSpec(TC, oracle=oracle_tc)})
    cyc = [("+", "e", (0, 1)), ("+", "e", (1, 2)), ("+", "e", (2, 0)), ("+", "e", (2, 3))]
    check_steps(s, [
        cyc,
        [("-", "e", (1, 2))],
        [("+", "e", (1, 2))],
        [("-", "e", (2, 0)), ("+", "e", (2, 0))],
        [("+", "e", (0, 1))],
        [("-", "e", (0, 1))],
        [("-", "e", (0, 1)), ("+", "e", (3, 0))],
        RETRACT_ALL,
    ])
