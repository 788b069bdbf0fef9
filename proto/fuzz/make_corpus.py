#!/usr/bin/env python3
"""Write the seed corpus of fuzz_msg (README.md): one valid message per
command, plus malformed ones. Run from anywhere; it writes next to itself
in corpus/. The corpus files are kept in git; rerun this after changing
the protocol and commit what changed."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def pack(frames, router=False):
    """Flags byte, then each frame as a 2-byte big-endian length + bytes."""
    data = bytes([1 if router else 0])
    for frame in frames:
        if isinstance(frame, str):
            frame = frame.encode()
        data += struct.pack(">H", len(frame)) + frame
    return data


def msg(command, body, router=False, signature="WSP/1"):
    text = body if isinstance(body, (str, bytes)) else json.dumps(
        body, separators=(",", ":"))
    frames = [signature, command, text]
    if router:
        frames.insert(0, b"\x00\x6b\x8b\x45\x67")
    return pack(frames, router)


JOB = {"id": 4294967297, "attempt": 1, "kind": "collect",
       "tick": 1700000000000, "deadline": 1700000010000, "source_id": 7,
       "source": {"name": "eu-signups", "url": "https://crm.example/x",
                  "interval": "60s", "labels": {"region": "eu"},
                  "metrics": [{"name": "signups", "type": "per_period",
                               "period": "1d", "json": "/data/*/count",
                               "aggregate": "sum"}]}}
SAMPLE = {"metric": "signups", "labels": {"region": "eu", "channel": "web"},
          "type": "per_period", "value": 12.5}
RESULT_OK = {"id": 4294967297, "attempt": 1, "kind": "collect",
             "source_id": 7, "tick": 1700000000000, "ok": True,
             "error": None, "error_kind": None, "http_status": 200,
             "duration_ms": 12, "bytes": 345,
             "samples": [SAMPLE, dict(SAMPLE, type="gauge", value=3)]}
RESULT_FAIL = dict(RESULT_OK, ok=False, error="HTTP 503",
                   error_kind="http", http_status=503, samples=[])

VALID = {
    "ready": msg("READY", {"name": "w-eu-2", "credit": 8, "pid": 4188,
                           "host": "eu-2.example", "version": "0.1.0"},
                 router=True),
    "heartbeat": msg("HEARTBEAT", {}),
    "heartbeat-running": msg("HEARTBEAT", {"running": 3}, router=True),
    "job": msg("JOB", {"jobs": [JOB, dict(JOB, id=4294967298, attempt=2)]}),
    "job-version": msg("JOB", {"jobs": [
        dict(JOB, version=81985529216486895),
        {k: v for k, v in dict(JOB, id=4294967298,
                               version=81985529216486895).items()
         if k != "source"}]}),
    "job-evaluate": msg("JOB", {"jobs": [{
        "id": 4294967300, "attempt": 1, "kind": "evaluate",
        "tick": 1700000000000, "deadline": 1700000030000, "goal_id": 2,
        "goal": {"def": {"name": "g", "kind": "total", "target": 10},
                 "as_of": 1700000000000,
                 "series": {"t": [1699900000000], "x": [4]}}}]}),
    "result-evaluate": msg("RESULT", {"results": [{
        "id": 4294967300, "attempt": 1, "kind": "evaluate", "goal_id": 2,
        "tick": 1700000000000, "ok": True,
        "evaluation": {"status": "on_track", "reported_status": "on_track"}}]},
        router=True),
    "job-deliver": msg("JOB", {"jobs": [{
        "id": 4294967301, "attempt": 1, "kind": "deliver",
        "tick": 1700000000000, "deadline": 1700000040000, "delivery_id": 12,
        "request": {"url": "https://hooks.example/watershed",
                    "body": "{\"alert\":{\"goal\":\"g\"}}",
                    "headers": {"Content-Type": "application/json",
                                "Idempotency-Key": "delivery-12",
                                "X-Watershed-Signature": "sha256=00ff",
                                "Authorization": "Bearer ${HOOK_TOKEN}"},
                    "timeout_ms": 10000}}]}),
    "result-deliver": msg("RESULT", {"results": [
        {"id": 4294967301, "attempt": 1, "kind": "deliver",
         "tick": 1700000000000, "delivery_id": 12, "ok": True,
         "error": None, "error_kind": None, "http_status": 202,
         "duration_ms": 35, "response": "{\"accepted\":true}"},
        {"id": 4294967302, "attempt": 2, "kind": "deliver",
         "tick": 1700000000000, "delivery_id": 13, "ok": False,
         "error": "HTTP 429: slow down", "error_kind": "http",
         "http_status": 429, "duration_ms": 8, "retry_after_ms": 30000,
         "response": "slow down"}]}, router=True),
    "result-values": msg("RESULT", {"results": [
        {k: v for k, v in dict(RESULT_OK, version=81985529216486895,
                               values=[12.5, None, 3]).items()
         if k not in ("samples", "error", "error_kind")}]}, router=True),
    "job-analyze": msg("JOB", {"jobs": [{
        "id": 4294967299, "attempt": 1, "kind": "analyze",
        "tick": 1700000000000, "deadline": 1700000030000, "series_id": 3,
        "window_days": 28, "series": {"t": [1699900000000, 1699986400000],
                                      "x": [1.5, 2]},
        "options": {"horizon": 7}}]}),
    "result-analyze": msg("RESULT", {"results": [{
        "id": 4294967299, "attempt": 1, "kind": "analyze", "series_id": 3,
        "window_days": 28, "tick": 1700000000000, "ok": True, "error": None,
        "error_kind": None, "analysis": {"n": 2, "notes": []}}]},
        router=True),
    "result": msg("RESULT", {"results": [RESULT_OK, RESULT_FAIL]},
                  router=True),
    "ack": msg("ACK", {"ids": [4294967297, 4294967298]}),
    "disconnect": msg("DISCONNECT", {"reason": "draining"}, router=True),
    "error": msg("ERROR", {"code": "unknown-peer",
                           "text": "send READY first"}),
    "request": msg("REQUEST", {"id": 1, "command": "samples",
                               "args": {"metric": "signups",
                                        "labels": {"region": "eu"},
                                        "from": 0, "limit": 100}},
                   router=True),
    "reply-ok": msg("REPLY", {"id": 1, "ok": True,
                              "result": {"series": [[1, 2.5], None]}}),
    "reply-error": msg("REPLY", {"id": 2, "ok": False,
                                 "error": "no source 'x'",
                                 "code": "notfound", "where": "/name"}),
}

MALFORMED = {
    "bad-signature": msg("READY", {}, signature="HTTP/1.1"),
    "bad-version": msg("HEARTBEAT", {}, signature="WSP/2"),
    "bad-frames-2": pack(["WSP/1", "HEARTBEAT"]),
    "bad-frames-4": pack(["WSP/1", "HEARTBEAT", "{}", "{}"]),
    "bad-frames-0": pack([]),
    "bad-routing-id-empty": pack(["", "WSP/1", "HEARTBEAT", "{}"], True),
    "bad-command": msg("FETCH", {}),
    "bad-command-lower": msg("ready", {}),
    "bad-json-truncated": msg("RESULT", '{"results":[{"id":1,'),
    "bad-json-utf8": msg("DISCONNECT", b'{"reason":"\xc3\x28"}'),
    "bad-json-nul": msg("DISCONNECT", '{"reason":"a\\u0000b"}'),
    "bad-json-duplicate": msg("DISCONNECT", '{"reason":"a","reason":"b"}'),
    "bad-json-big-int": msg("ACK", '{"ids":[99999999999999999999]}'),
    "bad-body-array": msg("HEARTBEAT", "[]"),
    "bad-body-string": msg("HEARTBEAT", '"x"'),
    "bad-unknown-key": msg("READY", {"name": "w", "credit": 1, "pid": 1,
                                     "host": "", "version": "",
                                     "colour": "blue"}),
    "bad-missing-credit": msg("READY", {"name": "w", "pid": 1, "host": "",
                                        "version": ""}),
    "bad-attempt": msg("JOB", {"jobs": [JOB, JOB, JOB,
                                        dict(JOB, attempt="x")]}),
    "bad-int-real": msg("ACK", {"ids": [1.0]}),
    "bad-ok-false": msg("RESULT", {"results": [dict(RESULT_OK, ok=False)]}),
    "bad-labels": msg("RESULT", {"results": [dict(
        RESULT_OK, samples=[dict(SAMPLE, labels={"a/b~\n": 1})])]}),
    "bad-reply-both": msg("REPLY", {"id": 1, "ok": True, "result": 1,
                                    "error": "x"}),
    "bad-deep": msg("REPLY", '{"id":1,"ok":true,"result":' + "[" * 70 +
                    "]" * 70 + "}"),
    "bad-key-control": msg("DISCONNECT", '{"reason":"x","\\u001b[31m":1}'),
    "bad-deliver-header": msg("JOB", {"jobs": [{
        "id": 1, "attempt": 1, "kind": "deliver", "tick": 0, "deadline": 0,
        "delivery_id": 1,
        "request": {"url": "http://h/", "body": "",
                    "headers": {"X-A": "a\r\nX-Evil: 1"},
                    "timeout_ms": 100}}]}),
    "bad-deliver-ok-status": msg("RESULT", {"results": [{
        "id": 1, "attempt": 1, "kind": "deliver", "tick": 0,
        "delivery_id": 1, "ok": True, "http_status": 302,
        "duration_ms": 1}]}),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted({**VALID, **MALFORMED}.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(VALID) + len(MALFORMED)} files to {OUT}")


if __name__ == "__main__":
    main()
