-- Placeholder: migration 0002 belongs to another branch developed in parallel.
-- This file only keeps the numbering gap-free on the lifecycle branch; delete it
-- when the branch holding the real 0002 is merged (two 0002 files stop every open).
SELECT 1;
