"""Differential tests of changes sent as SQL statements (INSERT … VALUES, DELETE … WHERE) mixed with
Pipeline.insert/delete, against DuckDB, over every column type."""


from tests.harness import Spec, streams_test

DDL = ("CREATE TABLE t(a INT, b BIGINT, c DECIMAL(10,2), d DOUBLE, s VARCHAR, p BOOLEAN, dt DATE, ts TIMESTAMP); "
       "CREATE TABLE k(id INT NOT NULL, s VARCHAR NOT NULL)")
VIEWS = {
    "v_all": "SELECT * FROM t",
    "v_group": "SELECT s, COUNT(*) AS n, SUM(c) AS sc, MAX(dt) AS md, BOOL_OR(p) AS bp FROM t GROUP BY s",
    "v_join": "SELECT t.a, k.s FROM t JOIN k ON t.a = k.id",
    "v_keys": "SELECT id, COUNT(*) AS n FROM k GROUP BY id",
}
SPECS = {
    "dml": Spec(DDL, VIEWS, dml=True, domains={"id": [1, 2, 3, 0], "s": ["a", "it's", "", "b"]}),
    "dml_sqlite": Spec(DDL.replace("DECIMAL(10,2)", "DOUBLE").replace("BOOLEAN", "INTEGER"),
                       {n: v.replace("BOOL_OR(p)", "MAX(p)") for n, v in VIEWS.items()}, dml=True, dialect="sqlite",
                       domains={"id": [1, 2, 3, 0], "s": ["a", "it's", "", "b"], "p": [0, 1]}),
}


test_dml = streams_test(SPECS, 12)
