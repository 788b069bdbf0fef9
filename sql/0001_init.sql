-- 0001_init: sources, their health, series and samples.
-- Applied once by watershedd at start or by 'watershed migrate'; never
-- edited after release: a fix is a new numbered file.

CREATE TABLE sources (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    -- the normalised definition (ws_source_to_json): URL, method, headers
    -- (${NAME} references, never values), body, timing, rules
    def         jsonb NOT NULL,
    interval_ms bigint NOT NULL CHECK (interval_ms > 0),
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Written by the coordinator in batches, apart from sources so that the
-- definitions stay narrow and an apply never races a health update.
CREATE TABLE source_health (
    source_id    bigint PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
    failures     integer NOT NULL DEFAULT 0,   -- consecutive failed ticks
    next_due     timestamptz,
    last_tick    timestamptz,
    last_success timestamptz,
    last_error   text,
    last_error_at timestamptz,
    last_error_kind text,
    last_values  jsonb,                        -- [{metric, labels, value}]
    ticks_ok     bigint NOT NULL DEFAULT 0,
    ticks_failed bigint NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE series (
    id         bigserial PRIMARY KEY,
    metric     text NOT NULL,
    labels     jsonb NOT NULL DEFAULT '{}',
    type       text NOT NULL CHECK (type IN ('gauge', 'counter', 'per_period')),
    period_ms  bigint,
    source_id  bigint REFERENCES sources (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (metric, labels)
);
CREATE INDEX series_labels ON series USING gin (labels);

-- ts is the scheduled tick of the collection, so re-running a tick (a
-- re-dispatched job, a result re-sent after a reconnect) writes nothing
-- new: inserts use ON CONFLICT DO NOTHING on (series_id, ts).
CREATE TABLE samples (
    series_id    bigint NOT NULL,
    ts           timestamptz NOT NULL,
    value        double precision NOT NULL,
    collected_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (series_id, ts)
) PARTITION BY RANGE (ts);

-- Monthly partitions are created ahead of time by the coordinator
-- (ws_db_ensure_partitions); the default one takes imported history and
-- anything outside them.
CREATE TABLE samples_default PARTITION OF samples DEFAULT;

-- One monthly partition of samples, created if missing. Rows already in
-- the default partition for that month (imported history) move into it,
-- so creating a partition never fails on them. Called by the coordinator
-- with a parameter; the DDL is built here, from dates only.
CREATE FUNCTION ws_ensure_partition(month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    first date := date_trunc('month', month)::date;
    lo timestamptz := first::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (first + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    part text := format('samples_%s', to_char(first, 'YYYY_MM'));
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE samples INCLUDING DEFAULTS)', part);
    EXECUTE format('WITH moved AS (DELETE FROM samples_default'
                   ' WHERE ts >= %L AND ts < %L RETURNING *)'
                   ' INSERT INTO %I SELECT * FROM moved', lo, hi, part);
    EXECUTE format('ALTER TABLE samples ATTACH PARTITION %I'
                   ' FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    RETURN true;
END
$$;
