-- rnnd's schema, version 4: hyperparameter sweeps. A sweep's trials are ordinary runs (run.sweep_id), so
-- every run query (filters, show, compare, plot) works on them.
CREATE TABLE sweep (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'completed', 'cancelled', 'failed')),
    method TEXT NOT NULL CHECK (method IN ('grid', 'random', 'asha')),
    metric TEXT NOT NULL,
    goal TEXT NOT NULL CHECK (goal IN ('min', 'max')),
    space TEXT NOT NULL CHECK (json_valid(space)),          -- the search space (SearchSpace as JSON)
    base_config TEXT NOT NULL CHECK (json_valid(base_config)),
    dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE RESTRICT,
    seed INTEGER NOT NULL,
    max_concurrent INTEGER NOT NULL CHECK (max_concurrent >= 1),
    priority INTEGER NOT NULL DEFAULT 0,
    asha TEXT CHECK (asha IS NULL OR json_valid(asha)),     -- {"min_steps", "eta", "max_steps"} for asha
    submitted_at REAL NOT NULL,
    finished_at REAL,
    submitted_by INTEGER
);

-- One row per trial: its assignment of the space, its rung (asha) and where it stands.
CREATE TABLE sweep_trial (
    sweep_id INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,                                -- 0-based, in generation order
    assignment TEXT NOT NULL CHECK (json_valid(assignment)),
    run_id INTEGER REFERENCES run(id) ON DELETE SET NULL,   -- the run training it now (a promotion forks a new one)
    rung INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('pending', 'training', 'waiting', 'stopped', 'completed', 'failed')),
    PRIMARY KEY (sweep_id, number)
) WITHOUT ROWID;

-- The metric each trial reached at the end of each rung (the numbers ASHA decides on), in arrival order.
CREATE TABLE sweep_result (
    sweep_id INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,
    rung INTEGER NOT NULL,
    number INTEGER NOT NULL,
    value REAL,                                             -- NULL: the run recorded no value (diverged)
    at REAL NOT NULL,
    PRIMARY KEY (sweep_id, rung, number)
) WITHOUT ROWID;

CREATE TABLE sweep_event (
    id INTEGER PRIMARY KEY,
    sweep_id INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,
    at REAL NOT NULL,
    kind TEXT NOT NULL,                                     -- submitted, trial_started, result, promoted, stopped, completed, cancelled
    message TEXT NOT NULL
);
CREATE INDEX sweep_event_sweep ON sweep_event(sweep_id, id);

ALTER TABLE run ADD COLUMN sweep_id INTEGER REFERENCES sweep(id) ON DELETE SET NULL;
CREATE INDEX run_sweep ON run(sweep_id);
