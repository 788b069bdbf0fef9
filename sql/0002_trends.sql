-- 0002_trends: the latest trend analysis of each series per window.
-- Written by the coordinator from analysis jobs (ws_trend on a worker);
-- the whole analysis is kept as jsonb, its headline figures as columns
-- for queries and alerts.
CREATE TABLE trends (
    series_id     bigint NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    window_days   integer NOT NULL CHECK (window_days > 0),
    computed_at   timestamptz NOT NULL DEFAULT now(),
    step_ms       bigint NOT NULL,
    n             integer NOT NULL,
    direction     text,
    mk_p          double precision,
    sen_slope     double precision,
    change_index  integer,
    change_p      double precision,
    analysis      jsonb NOT NULL,
    PRIMARY KEY (series_id, window_days)
);
