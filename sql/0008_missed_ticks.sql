-- 0008_missed_ticks: every tick of every source is accounted for
-- (issue 7). A tick either stored samples or is recorded here with why
-- it stored nothing:
--   error    the fetch or the extraction failed (error holds the text)
--   refused  the database refused its samples
--   backoff  not collected: the source was backing off after failures
--   skipped  not collected: earlier ticks were still outstanding
--   behind   not collected: watershedd fell behind its schedule
--   down     not collected: watershedd was not running, or stopped
--            before the tick was stored
-- A run of ticks is one row: first_tick .. last_tick on the source's
-- grid, ticks of them. The coordinator writes these rows in the same
-- statement as the samples of the batch that ACKs the results, so an
-- acknowledged tick is accounted for once it is acknowledged; a batch
-- sent again (an unknown COMMIT outcome) adds nothing: ON CONFLICT DO
-- NOTHING on (source_id, first_tick).
CREATE TABLE missed_ticks (
    source_id   bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    first_tick  timestamptz NOT NULL,
    last_tick   timestamptz NOT NULL,
    ticks       integer NOT NULL CHECK (ticks > 0),
    reason      text NOT NULL CHECK (reason IN ('error', 'refused',
                'backoff', 'skipped', 'behind', 'down')),
    error       text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, first_tick),
    CHECK (last_tick >= first_tick)
);

-- Every tick of the source before accounted_before is stored or in
-- missed_ticks. Written with the health rows from what is committed; a
-- restarted coordinator looks from there for the ticks the previous run
-- lost (ws_record_down_ticks).
ALTER TABLE source_health ADD COLUMN accounted_before timestamptz;

CREATE INDEX series_source ON series (source_id);

-- Record as 'down' the ticks of a source on its grid lo, lo + step, ...
-- below hi that have neither a sample nor a missed_ticks row. Holes
-- below the newest tick accounted for are found tick by tick (they are
-- the ticks a crash lost: a few seconds' worth); everything above it is
-- one run. Returns the count of ticks recorded.
CREATE FUNCTION ws_record_down_ticks(src bigint, lo timestamptz,
                                     hi timestamptz, step_ms bigint,
                                     why text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    step interval := step_ms * interval '1 millisecond';
    newest timestamptz;
    recorded bigint := 0;
    n bigint;
BEGIN
    IF hi <= lo OR step_ms <= 0 THEN
        RETURN 0;
    END IF;
    SELECT max(t) INTO newest FROM (
        SELECT (SELECT max(s.ts) FROM samples s WHERE s.series_id = se.id
                AND s.ts >= lo AND s.ts < hi) AS t
        FROM series se WHERE se.source_id = src
        UNION ALL
        SELECT max(m.last_tick) FROM missed_ticks m
        WHERE m.source_id = src AND m.first_tick < hi AND m.last_tick >= lo
    ) accounted;
    IF newest IS NOT NULL THEN
        newest := least(newest, hi - step);
        -- Holes are searched for within the last 100,000 ticks below
        -- the newest accounted one; older ones are beyond what a crash
        -- loses.
        lo := greatest(lo, newest - 100000 * step);
        WITH holes AS (
            SELECT t, t - step * row_number() OVER (ORDER BY t) AS run
            FROM generate_series(lo, newest, step) AS t
            WHERE NOT EXISTS (SELECT 1 FROM series se JOIN samples s
                              ON s.series_id = se.id AND s.ts = t
                              WHERE se.source_id = src)
              AND NOT EXISTS (SELECT 1 FROM missed_ticks m
                              WHERE m.source_id = src AND m.first_tick <= t
                                AND m.last_tick >= t)
        ), runs AS (
            INSERT INTO missed_ticks (source_id, first_tick, last_tick, ticks,
                                      reason, error)
            SELECT src, min(t), max(t), count(*), 'down', why
            FROM holes GROUP BY run
            ON CONFLICT DO NOTHING
            RETURNING ticks
        )
        SELECT coalesce(sum(ticks), 0) INTO recorded FROM runs;
        lo := newest + step;
    END IF;
    IF lo < hi THEN
        n := ((extract(epoch FROM hi - lo) * 1000)::bigint + step_ms - 1)
             / step_ms;
        IF n > 0 THEN
            INSERT INTO missed_ticks (source_id, first_tick, last_tick, ticks,
                                      reason, error)
            VALUES (src, lo, lo + (n - 1) * step, n, 'down', why)
            ON CONFLICT DO NOTHING;
            IF FOUND THEN
                recorded := recorded + n;
            END IF;
        END IF;
    END IF;
    RETURN recorded;
END
$$;
