-- warroom database, version 9 -> 10: per-customer figures (Customer Relations and Replacement panes).
-- Applied by core/db.c in the same transaction as the other pending
-- migrations; never edit a released migration, add the next one.
SELECT 1;
