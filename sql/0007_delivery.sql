-- 0007_delivery: what the delivery of alerts needs (issue 6).
-- An alert is routed once: in one transaction the coordinator creates
-- its deliveries (one per hook that takes it and is not silenced) and
-- sets routed_at, so a crash in between routes it again, and the unique
-- (alert_id, hook_id) keeps that from queueing anything twice. Alerts
-- older than this migration count as routed: hooks are not told about
-- the past. silenced_by names the silence that held an alert back.
-- hook_id set: the alert is for that hook only (a repeat of a goal that
-- stays off track, after the hook's repeat_interval; a 'hook test').
ALTER TABLE alerts ADD COLUMN routed_at timestamptz;
ALTER TABLE alerts ADD COLUMN silenced_by bigint REFERENCES silences (id)
    ON DELETE SET NULL;
ALTER TABLE alerts ADD COLUMN hook_id bigint REFERENCES hooks (id)
    ON DELETE CASCADE;
ALTER TABLE alerts ADD COLUMN repeat_of bigint REFERENCES alerts (id)
    ON DELETE CASCADE;
UPDATE alerts SET routed_at = created_at;
CREATE INDEX alerts_unrouted ON alerts (id) WHERE routed_at IS NULL;

-- The receiver's answer (first 4 KiB) or the command's output, and when
-- the last attempt started.
ALTER TABLE deliveries ADD COLUMN response text;
ALTER TABLE deliveries ADD COLUMN last_attempt_at timestamptz;
