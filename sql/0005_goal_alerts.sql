-- 0005_goal_alerts: alerts raised by goals (a status that slips,
-- recovers, is achieved or missed) beside those of trends. A goal's
-- alert names the goal; its evidence holds the evaluation's figures.
ALTER TABLE alerts ADD COLUMN goal_id bigint REFERENCES goals (id) ON DELETE CASCADE;
CREATE INDEX alerts_goal ON alerts (goal_id, created_at);
