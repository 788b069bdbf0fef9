-- 0006_hooks: where alerts go (issue 6). Hooks are declared with
-- 'watershed apply' (def is the normalised ws_hook form; a webhook's
-- secret is never here, only the name of the variable holding it).
-- Silences hold alerts of a goal, campaign or label set back until a
-- time. A delivery is one alert for one hook: UNIQUE (alert_id, hook_id)
-- so it is never queued twice, and its idempotency key travels with
-- every attempt so a receiver can drop a re-send after a crash.
CREATE TABLE hooks (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    type        text NOT NULL CHECK (type IN ('webhook', 'command')),
    def         jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE silences (
    id          bigserial PRIMARY KEY,
    goal        text,
    campaign    text,
    labels      jsonb,
    until       timestamptz NOT NULL,
    reason      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- exactly one target, as ws_hook_silence_check wants
    CHECK ((goal IS NOT NULL)::int + (campaign IS NOT NULL)::int
           + (labels IS NOT NULL)::int = 1)
);
CREATE INDEX silences_until ON silences (until);

CREATE TABLE deliveries (
    id              bigserial PRIMARY KEY,
    alert_id        bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    hook_id         bigint NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'delivered',
                                     'failed', 'given_up')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    last_status     integer,
    idempotency_key text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (alert_id, hook_id)
);
-- the work queue: what is due and not finished
CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
    WHERE state IN ('pending', 'sending', 'failed');
CREATE INDEX deliveries_hook ON deliveries (hook_id);
