//  ws_goal_job - a goal evaluation job as a worker runs it: the goal, its
//  data and its last state in, the evaluation with its reported status
//  out (PROTOCOL.md 4.3.2). The same code as 'watershed goal eval'
//  (ws_goal_evaluate), plus what only the daemon has: source health for
//  `stale` and the hysteresis state between evaluations (ws_goal_track).
//
//  The job's "goal" object:
//  {"def": {...},                   the goal, normalised (ws_goal_to_json)
//   "as_of": ms,                    the moment evaluated
//   "series": {"t": [ms], "x": [n]},       its data, rolled up per step
//   "denominator": {"t": [...], "x": [...]},            ratio goals only
//   "state": {...} or null,         the last evaluation (ws_goal_track)
//   "sources": [{"name", "failures", "last_error", "last_success" (ms or
//                null), "interval_ms"}],        feeding the goal; optional
//   "newest": ms or null,           its newest raw sample; optional
//   "hysteresis": {...}}            ws_goal_hysteresis_parse; optional:
//                                   else the goal's own, else defaults
#ifndef WS_GOAL_JOB_H
#define WS_GOAL_JOB_H

#include <jansson.h>

#include "ws_err.h"

//  Run one job (input borrowed). Returns the evaluation (caller owns),
//  with "reported_status" after hysteresis and "stale" when the data is
//  stale; NULL with *err (WS_ERR_INPUT, err->where the JSON pointer in
//  input) when a field is missing or wrong.
json_t *ws_goal_job_run (json_t *input, ws_err_t *err);

#endif
