-- warroom database, version 9 -> 10: per-customer figures (Customer Relations and Replacement panes).
-- Applied by core/db.c in the same transaction as the other pending
-- migrations; never edit a released migration, add the next one.
--
-- The console draws each customer's figures every frame; counting them
-- from cert (one GROUP BY over a million rows) takes more than a second.
-- So each customer's figures are kept here, as the counter table keeps
-- the incident's, but NOT by triggers on cert: the revocation engine
-- writes up to 10,000 rows a statement, and a trigger would add a write
-- per row. The core functions that change these facts (import, the
-- customer list, notify, replacements, probe, the engine's batch record)
-- each apply one grouped change per batch (core/tally.c). Readers check
-- the sums against the trigger-kept counters: a writer that went around
-- the core (the sqlite3 shell, an older binary) shows as a mismatch,
-- which the next core write, or `warroom customers --recount`, repairs by
-- counting afresh.
--
-- One row per cert.customer ('' for certificates with no customer), and
-- per customer row even with no certificate:
-- certificates; of those, notified, revoked, replaced (probe: every
-- endpoint serves something else), with a replacement issued (linked),
-- deployed and unreachable (probe_cert), live (neither replaced nor
-- revoked). Expiry moves with the clock alone, so it is kept at one
-- instant, customer_tally_clock.at: expired (unrevoked, notAfter before
-- at) and expired_live (of the live ones). A reader adds what expired
-- between at and its now (a range of the cert_live_expiry index, a few
-- rows), and each tally write first moves at to its now.
--
-- The panes show the first few customers in two orders (customer.c):
-- critical, acked and listed (a customer row exists) copy the customer
-- row (kept by customer set, ack and the recount) so that the orders are
-- read from this table alone, Customer Relations' from an index. That
-- index has no term the engine's batches change (revoked, live), so a
-- revocation does not move it; Replacement's order does move with each
-- revocation and is sorted at read instead (a few thousand rows, a
-- bounded sort).
CREATE TABLE customer_tally (
  customer      TEXT PRIMARY KEY,
  certificates  INTEGER NOT NULL DEFAULT 0,
  notified      INTEGER NOT NULL DEFAULT 0,
  revoked       INTEGER NOT NULL DEFAULT 0,
  replaced      INTEGER NOT NULL DEFAULT 0,
  issued        INTEGER NOT NULL DEFAULT 0,
  deployed      INTEGER NOT NULL DEFAULT 0,
  unreachable   INTEGER NOT NULL DEFAULT 0,
  live          INTEGER NOT NULL DEFAULT 0,
  expired       INTEGER NOT NULL DEFAULT 0,
  expired_live  INTEGER NOT NULL DEFAULT 0,
  critical      INTEGER NOT NULL DEFAULT 0,
  acked         INTEGER NOT NULL DEFAULT 0,
  listed        INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- Customer Relations' order: critical, not acknowledged first, the
-- largest share not notified, the most certificates, by name.
CREATE INDEX customer_tally_unacked ON customer_tally(critical DESC, acked,
  ((certificates - notified) * 1.0 / max(certificates, 1)) DESC, certificates DESC, customer)
  WHERE listed = 1;

-- The instant expired and expired_live were counted at: the newest
-- event's (the incident's clock at its last write), 0 with none. And the
-- counters as the last tally write left them (core/tally.c): while they
-- are still the counters, no write went around the core since, and a
-- reader need not add up the tally to know it agrees.
CREATE TABLE customer_tally_clock (
  one     INTEGER PRIMARY KEY CHECK (one = 1),
  at      INTEGER NOT NULL,
  counts  TEXT
);
INSERT INTO customer_tally_clock(one, at)
  SELECT 1, coalesce((SELECT max(at) FROM event), 0);

INSERT INTO customer_tally(customer, certificates, notified, revoked, replaced, issued,
                           deployed, unreachable, live, expired, expired_live)
  SELECT coalesce(c.customer, ''), count(*), count(c.notified_at), count(c.revoked_at),
         count(c.replaced_at), count(r.cert_id), coalesce(sum(p.deployed), 0),
         coalesce(sum(p.unreachable), 0),
         sum(c.replaced_at IS NULL AND c.revoked_at IS NULL),
         sum(c.revoked_at IS NULL AND c.not_after < k.at),
         sum(c.revoked_at IS NULL AND c.replaced_at IS NULL AND c.not_after < k.at)
  FROM cert c
  LEFT JOIN replacement r ON r.cert_id = c.id
  LEFT JOIN probe_cert p ON p.cert_id = c.id
  JOIN customer_tally_clock k
  WHERE true
  GROUP BY 1;
INSERT OR IGNORE INTO customer_tally(customer) SELECT name FROM customer;
UPDATE customer_tally SET
  listed = EXISTS (SELECT 1 FROM customer cu WHERE cu.name = customer_tally.customer),
  critical = coalesce((SELECT cu.critical FROM customer cu
                       WHERE cu.name = customer_tally.customer), 0),
  acked = coalesce((SELECT cu.acknowledged_at IS NOT NULL FROM customer cu
                    WHERE cu.name = customer_tally.customer), 0);
