-- warroom database, version 11 -> 12: Bugzilla posts and the reporting cadence.
-- Applied by core/db.c in the same transaction as the other pending
-- migrations; never edit a released migration, add the next one.
--
-- Mozilla wants a preliminary incident report in Bugzilla, updates every
-- 3 days (7 at most) and a full report (domain.md 5-7). `report post`
-- (core/bugzilla.c) sends each report through this queue, exactly once,
-- as notify does with its messages (migrate-008.sql): a row is committed
-- 'queued' with the text it will send, taken 'sending' (with this
-- process's claim) right before the request, and set 'sent' with the
-- bug's or the comment's id when Bugzilla answers. A failure (the server
-- down, a timeout, an error JSON) puts it back 'queued' with the error,
-- for `report post --retry`. A row left 'sending' by a process that died,
-- or whose request went out and whose answer never came, is 'unknown':
-- Bugzilla may have the comment, so it is sent again only when asked.
-- The text is kept so that a retry posts exactly what was rendered then;
-- a report over Bugzilla's 65,535 characters is several rows of one
-- post (post = the first row's id), sent in order. `report posted` adds
-- a row 'sent' by hand (op 'manual'). A person settles a post that
-- cannot go or whose outcome is unknown (`report post --settle`): 'sent'
-- when it is on the bug, 'dropped' when it is not to go (a mistyped bug).
-- The API key is never stored.
-- core/reporting.c reads the cadence from the rows 'sent'.
CREATE TABLE bugzilla_post (
  id           INTEGER PRIMARY KEY,
  post         INTEGER NOT NULL,        -- the first row of the post (its parts)
  op           TEXT NOT NULL CHECK (op IN ('new', 'comment', 'manual')),
  kind         TEXT NOT NULL
               CHECK (kind IN ('preliminary', 'update', 'full', 'postmortem')),
  bug          INTEGER,                 -- NULL: a new bug, until it is filed
  part         INTEGER NOT NULL DEFAULT 1,
  parts        INTEGER NOT NULL DEFAULT 1,
  summary      TEXT,                    -- op 'new': the bug's title
  body         TEXT,                    -- what is sent (NULL: manual)
  body_sha256  TEXT,                    -- hex of body
  state        TEXT NOT NULL
               CHECK (state IN ('queued', 'sending', 'sent', 'unknown', 'dropped')),
  comment_id   INTEGER,                 -- Bugzilla's id of the comment
  error        TEXT,                    -- the last attempt's failure
  attempts     INTEGER NOT NULL DEFAULT 0,
  created      INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  attempted_at INTEGER,                 -- the newest attempt began
  sent_at      INTEGER,                 -- Bugzilla took it (manual: as said)
  claim        TEXT                     -- "host:pid:start" of the sending run
);
CREATE INDEX bugzilla_post_state ON bugzilla_post(state);
CREATE INDEX bugzilla_post_sent ON bugzilla_post(kind, sent_at) WHERE state = 'sent';
