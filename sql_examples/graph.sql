-- A network of servers: which server can reach which over the links, and what is cut off when
-- servers go down.  Standard WITH RECURSIVE, maintained incrementally: adding or removing one link
-- recomputes only the reachability that changes.
--
-- Run:   deltasql run sql_examples/graph.sql sql_examples/graph.links.csv sql_examples/graph_changes.sql
-- Check: deltasql check sql_examples/graph.sql sql_examples/graph.links.csv sql_examples/graph_changes.sql

CREATE TABLE links (
    src  VARCHAR NOT NULL,
    dst  VARCHAR NOT NULL             -- a directed link: src can send to dst
);

CREATE TABLE down (
    node  VARCHAR NOT NULL            -- servers currently out of service
);

-- All pairs (src, dst) with a path of links from src to dst: the transitive closure.
CREATE VIEW reachable AS
WITH RECURSIVE reach(src, dst) AS (
    SELECT src, dst FROM links
    UNION
    SELECT r.src, l.dst
    FROM reach r
    JOIN links l ON l.src = r.dst
)
SELECT src, dst FROM reach;

-- The same, using only servers that are up.  The negation reads the base table `down`,
-- not the recursive relation, so it may sit inside the recursion.
CREATE VIEW reachable_up AS
WITH RECURSIVE reach(src, dst) AS (
    SELECT l.src, l.dst
    FROM links l
    WHERE l.src NOT IN (SELECT node FROM down)
      AND l.dst NOT IN (SELECT node FROM down)
    UNION
    SELECT r.src, l.dst
    FROM reach r
    JOIN links l ON l.src = r.dst
    WHERE l.dst NOT IN (SELECT node FROM down)
)
SELECT src, dst FROM reach;

-- Stratified negation: pairs of working servers that the links connect, but not while some
-- servers are down.  EXCEPT runs after both fixpoints are complete.
CREATE VIEW cut_off AS
SELECT src, dst FROM reachable
WHERE src NOT IN (SELECT node FROM down)
  AND dst NOT IN (SELECT node FROM down)
EXCEPT
SELECT src, dst FROM reachable_up;

-- How many servers each server can reach: an aggregate over the recursive result.
CREATE VIEW fan_out AS
SELECT src, COUNT(*) AS reaches
FROM reachable
WHERE src <> dst
GROUP BY src;

-- Servers that sit on a cycle: they reach themselves.
CREATE VIEW on_a_cycle AS
SELECT src AS node FROM reachable WHERE src = dst;
