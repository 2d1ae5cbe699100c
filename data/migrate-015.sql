-- warroom database, version 14 -> 15: lessons per team, and the appendix
-- attached to the bug. Applied by core/db.c in the same transaction as the
-- other pending migrations; never edit a released migration, add the next
-- one.
--
-- The post-mortem lists each team's lessons under that team (issue 11):
-- a finding may name the team it is about (`finding add --team T`); NULL
-- is the incident's as a whole, listed under "overall".
ALTER TABLE finding ADD COLUMN team TEXT REFERENCES team(id);

-- A full report of 10,000 certificates and more lists them as crt.sh
-- links and says "the CSV of every certificate is attached": `report post`
-- attaches it (POST /rest/bug/N/attachment), through the same queue as
-- the comments, exactly once: a row of op 'attachment' whose body is the
-- CSV and whose summary is the attachment's, sent before the comments of
-- its post (which say it is attached), its id in comment_id. SQLite
-- cannot widen a CHECK: the table is made again with its rows.
-- body_sha256 is the key that finds the same report queued twice: the
-- hash of the body without its closing audit-head paragraph (core/
-- report.c), which names a head that moves on with every event.
CREATE TABLE bugzilla_post_15 (
  id           INTEGER PRIMARY KEY,
  post         INTEGER NOT NULL,
  op           TEXT NOT NULL CHECK (op IN ('new', 'comment', 'manual', 'attachment')),
  kind         TEXT NOT NULL
               CHECK (kind IN ('preliminary', 'update', 'full', 'postmortem')),
  bug          INTEGER,
  part         INTEGER NOT NULL DEFAULT 1,
  parts        INTEGER NOT NULL DEFAULT 1,
  summary      TEXT,
  body         TEXT,
  body_sha256  TEXT,
  state        TEXT NOT NULL
               CHECK (state IN ('queued', 'sending', 'sent', 'unknown', 'dropped')),
  comment_id   INTEGER,
  error        TEXT,
  attempts     INTEGER NOT NULL DEFAULT 0,
  created      INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  attempted_at INTEGER,
  sent_at      INTEGER,
  claim        TEXT
);
INSERT INTO bugzilla_post_15 SELECT id, post, op, kind, bug, part, parts, summary, body,
  body_sha256, state, comment_id, error, attempts, created, created_by, attempted_at, sent_at,
  claim FROM bugzilla_post;
DROP TABLE bugzilla_post;
ALTER TABLE bugzilla_post_15 RENAME TO bugzilla_post;
CREATE INDEX bugzilla_post_state ON bugzilla_post(state);
CREATE INDEX bugzilla_post_sent ON bugzilla_post(kind, sent_at) WHERE state = 'sent';
