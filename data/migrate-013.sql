-- warroom database, version 12 -> 13: tabletop exercises.
-- Applied by core/db.c in the same transaction as the other pending
-- migrations; never edit a released migration, add the next one.
--
-- An exercise database carries its simulated clock, so that every warroom
-- process on it (consoles, commands, the revocation engine, reports)
-- computes the same simulated now (core/clock.c; core/exercise.c writes
-- the row):
--   paused:  now = sim_base
--   running: now = sim_base + (real_now_ms - real_base_ms) * speed / 1000,
--            in whole seconds, never before sim_base (a real clock set back)
-- On a test fixture (a database made under WARROOM_NOW) WARROOM_NOW is
-- real_now. The row is made paused while the scenario fills the database;
-- the clock starts when `exercise start` returns.
-- Every pause, resume or change of speed re-bases the clock (sim_base =
-- the simulated now at that moment, real_base_ms = the real now) and adds
-- an event to the chain, so the clock's history is in the audit trail.
CREATE TABLE exercise (
  one             INTEGER PRIMARY KEY CHECK (one = 1),
  scenario        TEXT NOT NULL,        -- the scenario's id (file name stem)
  title           TEXT NOT NULL,
  scenario_sha256 TEXT NOT NULL,        -- hex of the scenario file
  sim_start       INTEGER NOT NULL,     -- the simulated instant it began
  real_start      INTEGER NOT NULL,     -- the real instant it began
  sim_base        INTEGER NOT NULL,     -- simulated seconds at real_base_ms
  real_base_ms    INTEGER NOT NULL,     -- real milliseconds since the epoch
  speed           REAL NOT NULL DEFAULT 1 CHECK (speed > 0),
  paused          INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  ended_at        INTEGER,              -- simulated instant of the end
  ca_dir          TEXT                  -- the exercise's own test CA
);

-- Injects of the scenario (and ad hoc ones by the facilitator). Each fires
-- exactly once: the process that sets fired_at first (UPDATE ... WHERE
-- fired_at IS NULL) applies its effect in the same transaction.
CREATE TABLE inject (
  id          TEXT PRIMARY KEY,         -- the scenario's id; "adhoc-N"
  at_offset   INTEGER,                  -- simulated seconds after sim_start;
                                        -- NULL: only when fired by hand
  team        TEXT,                     -- the team addressed; NULL: all
  message     TEXT NOT NULL,
  effect      TEXT,                     -- what the core applies; NULL: none
  params      TEXT,                     -- the effect's parameters (JSON)
  fired_at    INTEGER,                  -- simulated instant; NULL: not yet
  fired_by    TEXT,
  position    INTEGER NOT NULL DEFAULT 0
);
-- Every command and every console's frame asks what is due (core/inject.c):
-- a seek on the injects not fired yet.
CREATE INDEX inject_due ON inject(at_offset) WHERE fired_at IS NULL;

-- What should follow an inject, and by when; scored met, late or missed,
-- by the core where the database shows it, else by the facilitator.
CREATE TABLE expectation (
  id          INTEGER PRIMARY KEY,
  inject_id   TEXT NOT NULL REFERENCES inject(id),
  kind        TEXT NOT NULL,            -- see core/inject.c
  params      TEXT,                     -- JSON
  within      INTEGER NOT NULL,         -- seconds after the inject fired
  description TEXT NOT NULL,
  score       TEXT CHECK (score IN ('met', 'late', 'missed')),
  late_by     INTEGER,                  -- seconds, when late
  scored_by   TEXT,                     -- "auto" or the facilitator
  scored_at   INTEGER,
  note        TEXT
);
CREATE INDEX expectation_inject ON expectation(inject_id);

-- A fault an inject switched on for a while (the SMTP server or the
-- revocation backend fails, OCSP lags); simulated times.
CREATE TABLE fault (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,            -- smtp, backend, ocsp-lag
  from_at     INTEGER NOT NULL,
  until_at    INTEGER NOT NULL,
  params      TEXT,
  inject_id   TEXT REFERENCES inject(id)
);

-- Observers' notes.
CREATE TABLE observation (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,         -- simulated
  by_user     TEXT NOT NULL,
  text        TEXT NOT NULL
);

-- Certificates generated as rows only (a population beyond what the
-- scenario has signed for real): same fields, no DER.
ALTER TABLE cert ADD COLUMN synthetic INTEGER NOT NULL DEFAULT 0;
