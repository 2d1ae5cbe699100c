-- warroom database, version 4 -> 5: long commands are runs that every
-- console sees (what runs, who started it, done/total, failures), and that
-- any console or the CLI can pause, resume or cancel between batches.
-- started_at and ended_at are the incident's clock, as events are;
-- updated_at is the machine's clock (seconds), the run's last sign of
-- life, and elapsed_ms its working time with pauses left out, the basis of
-- its rate. pid and proc_start (the process's start in clock ticks since
-- boot, /proc/PID/stat) name its process on host even after pids wrap: a
-- run whose process is gone shows as died.
CREATE TABLE run (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,          -- revoke, import, verify, crl, notify, probe
  args          TEXT NOT NULL DEFAULT '',  -- what was asked, for the banner
  started_by    TEXT NOT NULL,
  started_at    INTEGER NOT NULL,
  host          TEXT,
  pid           INTEGER,
  proc_start    INTEGER,
  total         INTEGER NOT NULL DEFAULT 0,
  done          INTEGER NOT NULL DEFAULT 0,
  failed        INTEGER NOT NULL DEFAULT 0,
  elapsed_ms    INTEGER NOT NULL DEFAULT 0,
  updated_at    INTEGER NOT NULL,
  state         TEXT NOT NULL DEFAULT 'running'
                CHECK (state IN ('running', 'paused', 'done', 'cancelled', 'failed', 'died')),
  request       TEXT CHECK (request IN ('pause', 'resume', 'cancel')),
  requested_by  TEXT,
  ended_at      INTEGER,
  last_error    TEXT
);
CREATE INDEX run_live ON run(state) WHERE state IN ('running', 'paused');
