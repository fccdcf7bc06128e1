-- rnnd's schema, version 2: a run's note (free text a user attaches after submitting, searchable in filters).
ALTER TABLE run ADD COLUMN note TEXT CHECK (note IS NULL OR length(note) BETWEEN 1 AND 10000);
