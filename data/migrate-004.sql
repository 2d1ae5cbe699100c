-- warroom database, version 3 -> 4: tasks can be blocked, notes append,
-- teams have short names, a task's events are indexed.
-- A blocked task names its reason, who blocked it and when; NULL: not blocked.
ALTER TABLE task ADD COLUMN blocked TEXT;
ALTER TABLE task ADD COLUMN blocked_by TEXT;
ALTER TABLE task ADD COLUMN blocked_at INTEGER;
-- Notes append, with author and time, instead of overwriting task.note.
CREATE TABLE task_note (
  id      INTEGER PRIMARY KEY,
  task    INTEGER NOT NULL REFERENCES task(id),
  at      INTEGER NOT NULL,
  author  TEXT NOT NULL,
  text    TEXT NOT NULL
);
CREATE INDEX task_note_task ON task_note(task, id);
-- A version-3 note becomes the task's first note; its author and time are
-- those of the newest event that set it, else unknown.
INSERT INTO task_note(task, at, author, text)
  SELECT t.id,
         COALESCE((SELECT e.at FROM event e WHERE e.action IN ('task-note', 'task-done')
                     AND json_extract(e.details, '$.note') IS NOT NULL
                     AND json_extract(e.details, '$.task') = t.id
                   ORDER BY e.id DESC LIMIT 1), 0),
         COALESCE((SELECT e.actor FROM event e WHERE e.action IN ('task-note', 'task-done')
                     AND json_extract(e.details, '$.note') IS NOT NULL
                     AND json_extract(e.details, '$.task') = t.id
                   ORDER BY e.id DESC LIMIT 1), '(unknown)'),
         t.note
  FROM task t WHERE t.note IS NOT NULL AND t.note <> '';
-- A team may have a short name from the plan ("short = Legal"), for tabs
-- at 80 columns; NULL: its name, cut to fit.
ALTER TABLE team ADD COLUMN short TEXT;
-- A task's history (task show, the console's detail view) is the events
-- whose details name it; indexed so that it costs no scan of the timeline.
-- json_valid first: an index expression that raised an error would refuse
-- the insert of an event, and the chain must never refuse one.
CREATE INDEX event_task ON event(CASE WHEN json_valid(details)
  THEN json_extract(details, '$.task') END);
