-- rnnd's schema, version 3: each metric summary also keeps the series' minimum and maximum (the runs table
-- shows and sorts by them), filled in here for the summaries that exist.
ALTER TABLE metric_summary ADD COLUMN min_value REAL;
ALTER TABLE metric_summary ADD COLUMN max_value REAL;
UPDATE metric_summary SET
    min_value = (SELECT min(m.value) FROM metric m JOIN metric_name n ON n.id = m.name_id
                 WHERE m.run_id = metric_summary.run_id AND n.name = metric_summary.name),
    max_value = (SELECT max(m.value) FROM metric m JOIN metric_name n ON n.id = m.name_id
                 WHERE m.run_id = metric_summary.run_id AND n.name = metric_summary.name);
