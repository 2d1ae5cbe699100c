-- warroom database, version 1 -> 2: trust boundaries.
-- Applied by core/db.c in the same transaction as the other pending
-- migrations; never edit a released migration, add the next one.

-- Facts about this database file: 'clock' = 'test' when it was created
-- under WARROOM_NOW (only then is WARROOM_NOW honoured); 'keyed_from' =
-- the first event carrying a MAC of the installed warroom's audit key.
CREATE TABLE meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
) WITHOUT ROWID;

-- HMAC-SHA256(audit key, hash) in the installed (setgid) mode; NULL
-- elsewhere. Outside the hashed bytes, so version-1 links stay valid.
ALTER TABLE event ADD COLUMN mac BLOB;
-- The pinned policy is the newest 'policy-pin' event: found by action.
CREATE INDEX event_action ON event(action);

-- Provenance: 1 when the signature was checked against a known issuer's
-- key at import; NULL when no issuer was known (counted as 'unchecked').
ALTER TABLE cert ADD COLUMN checked INTEGER;
INSERT INTO counter(name, n) SELECT 'unchecked', count(*) FROM cert WHERE checked IS NULL;
CREATE TRIGGER cert_ins_checked AFTER INSERT ON cert WHEN NEW.checked IS NULL BEGIN
  UPDATE counter SET n = n + 1 WHERE name = 'unchecked';
END;
CREATE TRIGGER cert_del_checked AFTER DELETE ON cert WHEN OLD.checked IS NULL BEGIN
  UPDATE counter SET n = n - 1 WHERE name = 'unchecked';
END;
CREATE TRIGGER cert_upd_checked AFTER UPDATE OF checked ON cert
  WHEN (OLD.checked IS NULL) <> (NEW.checked IS NULL) BEGIN
  UPDATE counter SET n = n + (CASE WHEN NEW.checked IS NULL THEN 1 ELSE -1 END)
   WHERE name = 'unchecked';
END;
