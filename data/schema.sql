-- warroom database, version 1. One file per incident or exercise.
-- Times are UTC seconds since the epoch; the edges speak RFC 3339.
-- Applied by core/db.c inside one transaction, then user_version = 1.

CREATE TABLE incident (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  name          TEXT NOT NULL,
  state         TEXT NOT NULL DEFAULT 'assessing'
                CHECK (state IN ('assessing', 'declared', 'closed')),
  phase         INTEGER NOT NULL DEFAULT 0 CHECK (phase BETWEEN 0 AND 4),
  reason        TEXT,                 -- a code of core/rules.c
  crl_reason    INTEGER,              -- -1: no reasonCode extension
  discovered    INTEGER,
  declared      INTEGER,
  closed        INTEGER,
  mre_flags     INTEGER NOT NULL DEFAULT 0,
  active_total  INTEGER,              -- the CA's active TLS certificates
  plan_name     TEXT,
  plan_sha256   TEXT NOT NULL,
  created       INTEGER NOT NULL
);

CREATE TABLE team (
  id        TEXT PRIMARY KEY,
  name      TEXT NOT NULL,
  position  INTEGER NOT NULL
);

CREATE TABLE task (
  id          INTEGER PRIMARY KEY,
  team        TEXT NOT NULL REFERENCES team(id),
  phase       INTEGER NOT NULL CHECK (phase BETWEEN 0 AND 4),
  title       TEXT NOT NULL,
  owner       TEXT,
  due_offset  INTEGER,               -- from the plan: seconds after the anchor
  due_anchor  TEXT CHECK (due_anchor IN ('discovery', 'deadline')),
  due         INTEGER,
  done_by     TEXT,
  done_at     INTEGER,
  note        TEXT
);
CREATE INDEX task_team ON task(team, phase);

-- The affected population. Rows stay narrow (the DER lives apart) so that
-- scans and index builds over a million rows stay fast.
CREATE TABLE cert (
  id           INTEGER PRIMARY KEY,
  sha256       BLOB NOT NULL UNIQUE,  -- of the DER: one row per certificate
  serial       TEXT NOT NULL,         -- upper-case hex, even length
  issuer       TEXT NOT NULL,
  subject      TEXT NOT NULL,
  sans         TEXT NOT NULL DEFAULT '',   -- comma-separated
  not_before   INTEGER NOT NULL,
  not_after    INTEGER NOT NULL,
  spki_sha256  BLOB NOT NULL,
  customer     TEXT,
  contact      TEXT,
  state        TEXT NOT NULL DEFAULT 'pending'
               CHECK (state IN ('pending', 'submitted', 'revoked', 'failed')),
  crl_reason   INTEGER,              -- NULL: the incident's
  revoked_at   INTEGER,
  notified_at  INTEGER,
  replaced_at  INTEGER,
  hold_until   INTEGER,              -- delayed revocation: held until then
  hold_reason  TEXT,                 -- the per-subscriber rationale
  claim        TEXT,                 -- "host:pid:start" of the submitting run
  submitted_at INTEGER,
  attempts     INTEGER NOT NULL DEFAULT 0,
  error        TEXT,                 -- the backend's last error
  on_crl       INTEGER,              -- verify found it on the CRL (time)
  ocsp_revoked INTEGER               -- verify got "revoked" over OCSP (time)
);
CREATE INDEX cert_serial ON cert(serial);
CREATE INDEX cert_customer ON cert(customer);
CREATE INDEX cert_issuer ON cert(issuer);
-- Unrevoked certificates by expiry: "expired" is a range count here. Both
-- columns are in the index so that SQLite never reads the table row (the
-- burn-down counts thousands of ranges a minute during a run).
CREATE INDEX cert_live_expiry ON cert(not_after, revoked_at) WHERE revoked_at IS NULL;
-- Revocations over time (burn-down, reports), covering as above.
CREATE INDEX cert_revoked_at ON cert(revoked_at, not_after) WHERE revoked_at IS NOT NULL;
-- Delayed revocations still held: "delayed" is a range count here.
CREATE INDEX cert_held ON cert(hold_until) WHERE revoked_at IS NULL AND hold_until IS NOT NULL;
-- The revocation engine's queue, walked by state then id (core/revoke.c).
CREATE INDEX cert_state ON cert(state);

CREATE TABLE cert_der (
  cert_id  INTEGER PRIMARY KEY REFERENCES cert(id) ON DELETE CASCADE,
  der      BLOB NOT NULL
);

-- Counters kept by triggers so that status is O(1) on a million rows;
-- only "expired", which moves with the clock, is counted at read time.
CREATE TABLE counter (
  name  TEXT PRIMARY KEY,
  n     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO counter(name) VALUES ('affected'), ('revoked'), ('notified'),
  ('replaced'), ('long_lived');

-- long_lived: not exempt from the BR deadlines; wr_short_lived is the rule
-- of core/rules.c, registered on every connection by core/db.c.
CREATE TRIGGER cert_ins AFTER INSERT ON cert BEGIN
  UPDATE counter SET n = n + 1 WHERE name = 'affected';
  UPDATE counter SET n = n + 1 WHERE name = 'long_lived'
    AND NOT wr_short_lived(NEW.not_before, NEW.not_after);
  UPDATE counter SET n = n + 1 WHERE name = 'revoked' AND NEW.revoked_at IS NOT NULL;
  UPDATE counter SET n = n + 1 WHERE name = 'notified' AND NEW.notified_at IS NOT NULL;
  UPDATE counter SET n = n + 1 WHERE name = 'replaced' AND NEW.replaced_at IS NOT NULL;
END;
CREATE TRIGGER cert_del AFTER DELETE ON cert BEGIN
  UPDATE counter SET n = n - 1 WHERE name = 'affected';
  UPDATE counter SET n = n - 1 WHERE name = 'long_lived'
    AND NOT wr_short_lived(OLD.not_before, OLD.not_after);
  UPDATE counter SET n = n - 1 WHERE name = 'revoked' AND OLD.revoked_at IS NOT NULL;
  UPDATE counter SET n = n - 1 WHERE name = 'notified' AND OLD.notified_at IS NOT NULL;
  UPDATE counter SET n = n - 1 WHERE name = 'replaced' AND OLD.replaced_at IS NOT NULL;
END;
CREATE TRIGGER cert_upd_revoked AFTER UPDATE OF revoked_at ON cert
  WHEN (OLD.revoked_at IS NULL) <> (NEW.revoked_at IS NULL) BEGIN
  UPDATE counter SET n = n + (CASE WHEN NEW.revoked_at IS NULL THEN -1 ELSE 1 END)
   WHERE name = 'revoked';
END;
CREATE TRIGGER cert_upd_notified AFTER UPDATE OF notified_at ON cert
  WHEN (OLD.notified_at IS NULL) <> (NEW.notified_at IS NULL) BEGIN
  UPDATE counter SET n = n + (CASE WHEN NEW.notified_at IS NULL THEN -1 ELSE 1 END)
   WHERE name = 'notified';
END;
CREATE TRIGGER cert_upd_replaced AFTER UPDATE OF replaced_at ON cert
  WHEN (OLD.replaced_at IS NULL) <> (NEW.replaced_at IS NULL) BEGIN
  UPDATE counter SET n = n + (CASE WHEN NEW.replaced_at IS NULL THEN -1 ELSE 1 END)
   WHERE name = 'replaced';
END;

-- Management's authorizations of revocation (BR-driven, but the CA's
-- decision): a run needs one with room left; with two_person = yes its
-- executor must be someone else.
CREATE TABLE authorization (
  id          INTEGER PRIMARY KEY,
  action      TEXT NOT NULL DEFAULT 'revoke',
  by_user     TEXT NOT NULL,
  at          INTEGER NOT NULL,
  max_certs   INTEGER,              -- NULL: no limit
  used        INTEGER NOT NULL DEFAULT 0
);

-- Proof of publication: each verify run.
CREATE TABLE publication (
  id              INTEGER PRIMARY KEY,
  checked_at      INTEGER NOT NULL,
  crl_url         TEXT,
  ocsp_url        TEXT,
  on_crl          INTEGER NOT NULL,  -- revoked certificates found on the CRLs
  ocsp_confirmed  INTEGER NOT NULL,  -- sampled ones answered "revoked"
  ocsp_sampled    INTEGER NOT NULL,
  problems        INTEGER NOT NULL,
  details         TEXT NOT NULL DEFAULT '{}'
);

-- The timeline, which is also the audit trail: each row's hash is
-- SHA-256(prev hash || canonical bytes of the row), see core/audit.c.
CREATE TABLE event (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  actor    TEXT NOT NULL,
  action   TEXT NOT NULL,
  details  TEXT NOT NULL DEFAULT '{}',   -- JSON
  hash     BLOB NOT NULL
);
