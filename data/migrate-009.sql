-- warroom database, version 8 -> 9: probing endpoints.
-- Applied by core/db.c in the same transaction as the other pending
-- migrations; never edit a released migration, add the next one.
--
-- `warroom probe` (core/probe.c) connects to each endpoint of each
-- certificate (cert.endpoints, else its DNS and IP names on 443) and
-- records what it serves: one row per (certificate, endpoint), the newest
-- result. A round is the set of probes with one round number: a plain
-- run probes what has no row of the current round (so a run killed midway
-- is continued by the next one), `probe --again` opens a new round. A
-- replacement linked after an endpoint was probed takes that endpoint out
-- of the round (trigger below): "another certificate" may now be "its
-- replacement".
CREATE TABLE probe (
  cert_id     INTEGER NOT NULL REFERENCES cert(id) ON DELETE CASCADE,
  host        TEXT NOT NULL,          -- as cert.endpoints has it: lower-case,
                                      -- an IPv6 address without brackets
  port        INTEGER NOT NULL,
  round       INTEGER NOT NULL,       -- 0: to be probed again
  checked_at  INTEGER NOT NULL,
  outcome     TEXT NOT NULL
              CHECK (outcome IN ('affected', 'replacement', 'other', 'unreachable')),
  sha256      BLOB,                   -- of the DER served; NULL when unreachable
  error       TEXT,                   -- why unreachable; NULL otherwise
  PRIMARY KEY (cert_id, host, port)
) WITHOUT ROWID;

-- The current round: one row.
CREATE TABLE probe_round (
  one    INTEGER PRIMARY KEY CHECK (one = 1),
  round  INTEGER NOT NULL
);
INSERT INTO probe_round(one, round) VALUES (1, 1);

-- Per certificate probed, what its endpoints' newest results say, written
-- by probe.c after each batch: deployed when every endpoint serves its
-- replacement, unreachable when one at least could not be read. The
-- counters below follow it, so that status stays O(1) however many
-- certificates and endpoints there are.
CREATE TABLE probe_cert (
  cert_id      INTEGER PRIMARY KEY REFERENCES cert(id) ON DELETE CASCADE,
  endpoints    INTEGER NOT NULL,      -- its endpoints when summed up
  probed       INTEGER NOT NULL,      -- of those, with a result
  deployed     INTEGER NOT NULL CHECK (deployed IN (0, 1)),
  unreachable  INTEGER NOT NULL CHECK (unreachable IN (0, 1)),
  checked_at   INTEGER NOT NULL
);

INSERT INTO counter(name, n) VALUES ('replacement_deployed', 0), ('unreachable', 0);
CREATE TRIGGER probe_cert_ins AFTER INSERT ON probe_cert BEGIN
  UPDATE counter SET n = n + NEW.deployed WHERE name = 'replacement_deployed';
  UPDATE counter SET n = n + NEW.unreachable WHERE name = 'unreachable';
END;
CREATE TRIGGER probe_cert_upd AFTER UPDATE OF deployed, unreachable ON probe_cert
  WHEN OLD.deployed <> NEW.deployed OR OLD.unreachable <> NEW.unreachable BEGIN
  UPDATE counter SET n = n - OLD.deployed + NEW.deployed WHERE name = 'replacement_deployed';
  UPDATE counter SET n = n - OLD.unreachable + NEW.unreachable WHERE name = 'unreachable';
END;
CREATE TRIGGER probe_cert_del AFTER DELETE ON probe_cert BEGIN
  UPDATE counter SET n = n - OLD.deployed WHERE name = 'replacement_deployed';
  UPDATE counter SET n = n - OLD.unreachable WHERE name = 'unreachable';
END;

-- A replacement linked or relinked: its certificate's endpoints are
-- probed again by the next run.
CREATE TRIGGER replacement_ins_probe AFTER INSERT ON replacement BEGIN
  UPDATE probe SET round = 0 WHERE cert_id = NEW.cert_id;
END;
CREATE TRIGGER replacement_upd_probe AFTER UPDATE OF sha256 ON replacement
  WHEN OLD.sha256 IS NOT NEW.sha256 BEGIN
  UPDATE probe SET round = 0 WHERE cert_id = NEW.cert_id;
END;
