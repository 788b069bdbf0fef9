//  ws_campaign - a marketing campaign and its content calendar (the
//  activities), as 'watershed apply' files declare them, and the check
//  of a whole apply file. Built by the CLI (to point at a line and
//  column) and by the coordinator (to validate again before storing).
//
//  A campaign's JSON form:
//  {
//    "name": "q1-eu",                  [A-Za-z0-9_.-], 1..64 chars
//    "objective": "EU trial growth",   1..1024 chars
//    "channel": "email",               1..64 chars, free text
//    "start": "2027-01-04",            ISO 8601
//    "end": "2027-04-04",              after start
//    "budget": 25000                   optional, a number >= 0
//  }
//  An activity's JSON form:
//  {
//    "campaign": "q1-eu",              the campaign's name
//    "kind": "email",                  email, social_post, paid_ad,
//                                      blog_article or event
//    "at": "2027-01-10T09:00:00Z",     ISO 8601
//    "segment": {"region": "eu"},      optional: labels of the audience
//    "note": "launch mail"             optional, up to 1024 chars
//  }
//  Unknown keys are refused; errors name the field ("/budget: found -1,
//  expected a number >= 0") and err->where is its JSON pointer.
#ifndef WS_CAMPAIGN_H
#define WS_CAMPAIGN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ws_err.h"

typedef struct _ws_campaign_t ws_campaign_t;
typedef struct _ws_activity_t ws_activity_t;

//  Build a campaign from its JSON form (borrowed). Caller owns the
//  result. NULL if invalid, with *err (where = pointer within def).
ws_campaign_t *ws_campaign_new (json_t *def, ws_err_t *err);

//  Free the campaign; NULLs *self_p. Safe on NULL and on repeat.
void ws_campaign_destroy (ws_campaign_t **self_p);

//  The normalised JSON form (caller owns): times as ISO 8601 UTC, no
//  "budget" when none was given. ws_campaign_new reads it back unchanged.
json_t *ws_campaign_to_json (const ws_campaign_t *self);

//  Fields (borrowed strings, valid while the campaign lives).
const char *ws_campaign_name (const ws_campaign_t *self);
const char *ws_campaign_objective (const ws_campaign_t *self);
const char *ws_campaign_channel (const ws_campaign_t *self);
int64_t ws_campaign_start (const ws_campaign_t *self);  //  ms
int64_t ws_campaign_end (const ws_campaign_t *self);    //  ms
//  True and *budget when the campaign has a budget.
bool ws_campaign_budget (const ws_campaign_t *self, double *budget);

//  Build an activity from its JSON form (borrowed). Caller owns the
//  result. NULL if invalid, with *err (where = pointer within def).
ws_activity_t *ws_activity_new (json_t *def, ws_err_t *err);

//  Free the activity; NULLs *self_p. Safe on NULL and on repeat.
void ws_activity_destroy (ws_activity_t **self_p);

//  The normalised JSON form (caller owns): "at" as ISO 8601 UTC, no
//  "segment" or "note" when absent or empty. ws_activity_new reads it
//  back unchanged.
json_t *ws_activity_to_json (const ws_activity_t *self);

//  Fields (borrowed, valid while the activity lives). note is "" when
//  absent; segment is NULL when absent.
const char *ws_activity_campaign (const ws_activity_t *self);
const char *ws_activity_kind (const ws_activity_t *self);
int64_t ws_activity_at (const ws_activity_t *self);  //  ms
json_t *ws_activity_segment (const ws_activity_t *self);
const char *ws_activity_note (const ws_activity_t *self);

//  Check an apply file (borrowed): an object with optional arrays
//  "sources", "campaigns", "goals", "activities" and "hooks", every
//  element valid (ws_source, ws_campaign, ws_goal, ws_activity, ws_hook),
//  no name twice in a
//  kind, no activity twice. Returns a new object (caller owns) holding
//  the kinds present, each element in normalised form and in the file's
//  order; NULL with *err, where = the full pointer ("/goals/2/target").
//  A campaign that a goal or activity names need not be in the file: it
//  may be stored already (the coordinator's ws_db checks that).
json_t *ws_campaign_check_set (json_t *doc, ws_err_t *err);

#endif
