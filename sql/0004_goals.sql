-- 0004_goals: campaigns, their goals and their content calendar
-- (activities), as 'watershed apply' declares them, and goal_progress,
-- which the goal evaluation job fills. def holds the normalised JSON
-- form (ws_campaign_to_json, ws_goal_to_json, ws_activity_to_json); the
-- other columns repeat what queries filter on.
CREATE TABLE campaigns (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    objective   text NOT NULL,
    channel     text NOT NULL,
    start_at    timestamptz NOT NULL,
    end_at      timestamptz NOT NULL,
    budget      double precision,       -- null: no budget given
    def         jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (end_at > start_at),
    CHECK (budget IS NULL OR budget >= 0)
);

-- A goal outlives its campaign (SET NULL): the goal is on a metric and
-- its progress history stays meaningful without the campaign.
CREATE TABLE goals (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    campaign_id bigint REFERENCES campaigns (id) ON DELETE SET NULL,
    metric      text,
    labels      jsonb,
    def         jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX goals_campaign ON goals (campaign_id);

-- An activity has no name: it is the campaign, kind, moment and note.
-- note is '' rather than null so the unique key holds without one.
CREATE TABLE activities (
    id          bigserial PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('email', 'social_post',
                    'paid_ad', 'blog_article', 'event')),
    at          timestamptz NOT NULL,
    segment     jsonb,                  -- labels of the audience
    note        text NOT NULL DEFAULT '',
    def         jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, kind, at, note)
);
CREATE INDEX activities_at ON activities (at);

CREATE TABLE goal_progress (
    goal_id           bigint NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    evaluated_at      timestamptz NOT NULL,
    as_of             timestamptz NOT NULL,
    status            text NOT NULL,
    reported_status   text NOT NULL,
    current           double precision,
    progress          double precision,
    expected_progress double precision,
    projected         double precision,
    projected_low     double precision,
    projected_high    double precision,
    required_rate     double precision,
    actual_rate       double precision,
    n                 integer NOT NULL DEFAULT 0,
    evaluation        jsonb NOT NULL,
    PRIMARY KEY (goal_id, evaluated_at)
);
