-- warroom database, version 6 -> 7: replacements issued.
-- Applied by core/db.c in the same transaction as the other pending
-- migrations; never edit a released migration, add the next one.
--
-- `import --replacements` (core/replace.c) links each affected certificate
-- to the newer certificate the CA issued in its place: one row per
-- affected certificate, the newest that qualifies. Issued is not deployed:
-- cert.replaced_at and the 'replaced' count stay for probing, which sets
-- them when every endpoint serves something else. Probing compares what
-- an endpoint serves with cert.sha256 (still the affected one) and with
-- replacement.sha256 (the replacement): hashes of the whole DER, so the
-- DER itself is not kept; spki_sha256 tells a reissue on the same key.
CREATE TABLE replacement (
  cert_id      INTEGER PRIMARY KEY REFERENCES cert(id) ON DELETE CASCADE,
  sha256       BLOB NOT NULL,         -- of the replacement's DER
  spki_sha256  BLOB NOT NULL,         -- of its SubjectPublicKeyInfo
  serial       TEXT NOT NULL,         -- as cert.serial: upper-case hex
  issuer       TEXT NOT NULL,         -- as cert.issuer
  subject      TEXT NOT NULL,
  sans         TEXT NOT NULL DEFAULT '',  -- as cert.sans
  not_before   INTEGER NOT NULL,      -- when it was issued, as far as it says
  not_after    INTEGER NOT NULL,
  checked      INTEGER,               -- 1: its signature verified with a known
                                      -- issuer's key; NULL: no issuer known
  source       TEXT,                  -- FILE or FILE:LINE it was read from
  linked_at    INTEGER NOT NULL,
  linked_by    TEXT NOT NULL
);
-- What probing looks up: which affected certificate a served one replaces.
CREATE INDEX replacement_sha256 ON replacement(sha256);

-- replacement_issued: affected certificates with a replacement issued,
-- O(1) for status as the other counters. Relinking to a newer replacement
-- is an UPDATE (an upsert), which leaves the count as it is.
INSERT INTO counter(name, n) SELECT 'replacement_issued', count(*) FROM replacement;
CREATE TRIGGER replacement_ins AFTER INSERT ON replacement BEGIN
  UPDATE counter SET n = n + 1 WHERE name = 'replacement_issued';
END;
CREATE TRIGGER replacement_del AFTER DELETE ON replacement BEGIN
  UPDATE counter SET n = n - 1 WHERE name = 'replacement_issued';
END;
