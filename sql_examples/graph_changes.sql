-- Operations on the network; each statement is a step.

-- web1 goes down: web2 still connects the gateway to everything behind it.
INSERT INTO down VALUES ('web1');

-- web2 goes down as well: the gateway is cut off from app, cache and db.
INSERT INTO down VALUES ('web2');

-- A backup link from the gateway straight to the app tier restores the service.
INSERT INTO links VALUES ('gateway', 'app');

-- The web servers are repaired.
DELETE FROM down WHERE node IN ('web1', 'web2');

-- A replication link from db back to app closes a cycle: app, cache and db now reach each other.
INSERT INTO links VALUES ('db', 'app');

-- The backup link is retired and the cycle broken again, in one step.
BEGIN;
DELETE FROM links WHERE src = 'gateway' AND dst = 'app';
DELETE FROM links WHERE src = 'db';
COMMIT;

-- The cache is retired: its links go.
DELETE FROM links WHERE 'cache' IN (src, dst);
