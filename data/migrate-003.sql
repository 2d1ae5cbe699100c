-- warroom database, version 2 -> 3: revocation in waves.
-- Management sets the order (non-critical customers first, critical
-- infrastructure last, as DigiCert did in 2024); the engine follows it.
CREATE TABLE wave (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  position    INTEGER NOT NULL,     -- 1 runs first
  not_before  INTEGER,              -- earliest start; NULL: at once
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
-- A certificate is in at most one wave; NULL: after every wave.
ALTER TABLE cert ADD COLUMN wave INTEGER REFERENCES wave(id);
CREATE INDEX cert_wave ON cert(wave) WHERE wave IS NOT NULL;
