-- warroom database, version 13 -> 14: revocations indexed in the order
-- they are written. Applied by core/db.c in the same transaction as the
-- other pending migrations; never edit a released migration, add the
-- next one.
--
-- cert_revoked_at was keyed (revoked_at, not_after). A revocation run
-- stamps thousands of rows with the same second, and their notAfter are
-- in no order, so each batch inserted its entries all over that second's
-- part of the index and rewrote most of its pages: at a million
-- revocations, a fifth of the time spent recording them. Keyed
-- (revoked_at, id, not_after), a batch (written in id order) appends at
-- the end. Every reader ranges over revoked_at and reads not_after from
-- the index (burn-down, pace, verify), which it still covers.
DROP INDEX cert_revoked_at;
CREATE INDEX cert_revoked_at ON cert(revoked_at, id, not_after) WHERE revoked_at IS NOT NULL;
