-- Sweep event kinds become a closed set, checked by SQLite (as run states are): the table is rebuilt with a
-- CHECK, its rows copied as they are (every kind written so far is in the set).
CREATE TABLE sweep_event_new (
    id INTEGER PRIMARY KEY,
    sweep_id INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,
    at REAL NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('submitted', 'trial_started', 'result', 'promoted', 'stopped', 'failed', 'completed', 'cancelled')),
    message TEXT NOT NULL
);
INSERT INTO sweep_event_new (id, sweep_id, at, kind, message) SELECT id, sweep_id, at, kind, message FROM sweep_event;
DROP TABLE sweep_event;
ALTER TABLE sweep_event_new RENAME TO sweep_event;
CREATE INDEX sweep_event_sweep ON sweep_event(sweep_id, id);
