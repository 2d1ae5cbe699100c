-- warroom database, version 10 -> 11: findings and action items (reports).
-- Applied by core/db.c in the same transaction as the other pending
-- migrations; never edit a released migration, add the next one.
SELECT 1;
