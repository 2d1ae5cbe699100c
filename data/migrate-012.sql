-- warroom database, version 11 -> 12: Bugzilla posts and the reporting cadence.
-- Applied by core/db.c in the same transaction as the other pending
-- migrations; never edit a released migration, add the next one.
SELECT 1;
