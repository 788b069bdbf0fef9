-- 0003_alerts: what changed, for the hooks to deliver (issue 6 adds the
-- hooks and deliveries). One row per event, its fingerprint unique, so
-- an event seen again (the same change point in the next analysis) is
-- recorded once.
CREATE TABLE alerts (
    id          bigserial PRIMARY KEY,
    fingerprint text NOT NULL UNIQUE,
    kind        text NOT NULL,          -- trend, change_point
    series_id   bigint REFERENCES series (id) ON DELETE CASCADE,
    window_days integer,
    from_state  text,
    to_state    text,
    severity    text NOT NULL DEFAULT 'info',
    summary     text NOT NULL,
    evidence    jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_created ON alerts (created_at);
