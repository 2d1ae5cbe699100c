-- warroom database, version 10 -> 11: findings and action items (reports).
-- Applied by core/db.c in the same transaction as the other pending
-- migrations; never edit a released migration, add the next one.
--
-- The full incident report and the post-mortem need what only people
-- know: the root causes, the lessons learned, the related incidents and
-- the action items (CCADB's sections). Compliance & Legal or Management
-- record them (core/finding.c), each change an event in the audit chain;
-- the rows are what the reports read, the events what the auditor reads.
--
-- A finding is one entry of a report section. 'related' ones may name the
-- other incident's bug and date (the Related Incidents table's columns).
CREATE TABLE finding (
  id          INTEGER PRIMARY KEY,
  section     TEXT NOT NULL
              CHECK (section IN ('root-cause', 'lesson-well', 'lesson-badly',
                                 'lesson-lucky', 'lesson-other', 'related')),
  text        TEXT NOT NULL,
  bug         TEXT,                   -- related: the other incident's bug
  date        INTEGER,                -- related: its date
  by_user     TEXT NOT NULL,
  at          INTEGER NOT NULL
);
CREATE INDEX finding_section ON finding(section, id);

-- An action item has the six columns of CCADB's Action Items table.
CREATE TABLE action_item (
  id          INTEGER PRIMARY KEY,
  title       TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('prevent', 'mitigate', 'detect')),
  root_cause  TEXT NOT NULL,
  criteria    TEXT NOT NULL,          -- how its effect is evaluated
  due         INTEGER NOT NULL,
  status      TEXT NOT NULL DEFAULT 'ongoing'
              CHECK (status IN ('ongoing', 'complete', 'delayed', 'canceled')),
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
