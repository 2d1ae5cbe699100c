-- warroom database, version 4 -> 5: long commands are runs that every
-- console sees (what runs, who started it, done/total, failures), and that
-- any console or the CLI can pause, resume or cancel between batches.
CREATE TABLE run (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,          -- revoke, import, verify, crl, notify, probe
  args          TEXT NOT NULL DEFAULT '',  -- what was asked, for the banner
  started_by    TEXT NOT NULL,
  started_at    INTEGER NOT NULL,
  host          TEXT,
  pid           INTEGER,
  total         INTEGER NOT NULL DEFAULT 0,
  done          INTEGER NOT NULL DEFAULT 0,
  failed        INTEGER NOT NULL DEFAULT 0,
  updated_at    INTEGER NOT NULL,
  state         TEXT NOT NULL DEFAULT 'running'
                CHECK (state IN ('running', 'paused', 'done', 'cancelled', 'failed', 'died')),
  request       TEXT CHECK (request IN ('pause', 'resume', 'cancel')),
  requested_by  TEXT,
  ended_at      INTEGER,
  last_error    TEXT
);
CREATE INDEX run_live ON run(state) WHERE state IN ('running', 'paused');
