-- rnnd's schema, version 1. Frozen once shipped: later changes are new numbered files.

-- Uploaded datasets, one row per content.
CREATE TABLE dataset (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'csv', 'jsonl')),
    size INTEGER NOT NULL CHECK (size >= 0),
    path TEXT NOT NULL,            -- relative to the state directory: datasets/<sha256>
    created_at REAL NOT NULL       -- Unix time, seconds
);

-- A run is a job.
CREATE TABLE run (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'paused', 'interrupted', 'completed', 'failed', 'cancelled')),
    priority INTEGER NOT NULL DEFAULT 0,
    submitted_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    submitted_by INTEGER,          -- uid of the submitter
    workers INTEGER NOT NULL CHECK (workers >= 1),
    seed INTEGER NOT NULL,
    dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE RESTRICT,
    restarts INTEGER NOT NULL DEFAULT 0,
    failure TEXT,
    parent_run_id INTEGER REFERENCES run(id) ON DELETE SET NULL,   -- resumed or forked from
    parent_checkpoint_step INTEGER,
    config TEXT NOT NULL CHECK (json_valid(config))                -- the complete configuration
);
CREATE INDEX run_state ON run(state, priority DESC, submitted_at);
CREATE INDEX run_submitted ON run(submitted_at);

CREATE TABLE run_tag (
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE INDEX run_tag_tag ON run_tag(tag);

-- One row per (run, key) with a typed value, for queries such as hidden_size >= 256.
CREATE TABLE hyperparameter (
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value_num REAL,                -- integers and decimals
    value_text TEXT,               -- strings, booleans ('true'/'false'), lists (comma-joined)
    PRIMARY KEY (run_id, key),
    CHECK ((value_num IS NULL) != (value_text IS NULL))
) WITHOUT ROWID;
CREATE INDEX hyperparameter_num ON hyperparameter(key, value_num);
CREATE INDEX hyperparameter_text ON hyperparameter(key, value_text);

-- Metric names, interned: the points below repeat a small integer instead of the text.
CREATE TABLE metric_name (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Metric points; a replayed step (after a resume) replaces its row.
CREATE TABLE metric (
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    name_id INTEGER NOT NULL REFERENCES metric_name(id),
    step INTEGER NOT NULL,
    value REAL NOT NULL,
    wall_time REAL NOT NULL,
    PRIMARY KEY (run_id, name_id, step)
) WITHOUT ROWID;

-- Minimum and maximum of each bucket of 16^level steps (levels 1–3), kept current as points arrive, so a
-- long series is downsampled from a few thousand rows and its spikes survive.
CREATE TABLE metric_rollup (
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    name_id INTEGER NOT NULL REFERENCES metric_name(id),
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
    bucket INTEGER NOT NULL,
    min_step INTEGER NOT NULL,
    min_value REAL NOT NULL,
    max_step INTEGER NOT NULL,
    max_value REAL NOT NULL,
    PRIMARY KEY (run_id, name_id, level, bucket)
) WITHOUT ROWID;

-- Per run and metric: latest and best (lowest for losses, highest for accuracy), kept current.
CREATE TABLE metric_summary (
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    latest_step INTEGER NOT NULL,
    latest_value REAL NOT NULL,
    best_step INTEGER NOT NULL,
    best_value REAL NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE INDEX metric_summary_best ON metric_summary(name, best_value);

CREATE TABLE checkpoint (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    path TEXT NOT NULL,            -- relative to the state directory: checkpoints/<run>/<step>.ckpt
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    val_loss REAL,
    kind TEXT NOT NULL CHECK (kind IN ('periodic', 'best', 'final')),
    created_at REAL NOT NULL,
    UNIQUE (run_id, step)
);

CREATE TABLE event (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    at REAL NOT NULL,
    kind TEXT NOT NULL,            -- submitted, started, checkpoint, skipped, rollback, resumed, cancelled, …
    message TEXT NOT NULL,
    uid INTEGER,                   -- who asked, where a user asked
    step INTEGER
);
CREATE INDEX event_run ON event(run_id, id);
