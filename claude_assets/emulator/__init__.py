"""Local emulator of Anthropic's organization analytics APIs, for one synthetic organization.

    from claude_assets.emulator import Emulator, EmulatorConfig
    with Emulator(EmulatorConfig(seed=7, users=50)) as emu:
        httpx.get(emu.url + "/v1/organizations/usage_report/claude_code",
                  params={"starting_at": "2026-03-02"},
                  headers={"x-api-key": emu.admin_key, "anthropic-version": "2023-06-01"})

It is a real HTTP server on loopback that speaks every endpoint of the API reference
(shared/api-reference.md): the Claude Code Analytics report and Admin usage/cost reports
(Admin key), the Enterprise Analytics engagement and cost/usage endpoints (Analytics
key), and the Usage and Cost Analytics API (`/analytics/usage` and `/analytics/cost`, beta
header `anthropic-beta: analytics-usage-cost-2026-08-24`; either key), whose totals are the
legacy Admin and Enterprise reports' together. It has the documented envelopes, cursors, lags,
history floors, rate limits and errors, and the live-API behaviours peers recorded (field
reports F1-F13, reference §8) where they differ from the docs.

`EmulatorConfig` fields: `seed`, `users`; `rate_limit_per_minute` (Enterprise Analytics
budget per organization, shared by its endpoints; 0 = off); `admin_rate_limit_per_minute`
(Admin API budget; None = same; 0 = off); `lag_days` (engagement: newest day = today - lag);
`admin_key` / `analytics_key` / `scopeless_key` (None = derived from the seed:
`sk-ant-admin01-emu-<hex>`, `sk-ant-analytics-emu-<hex>` and `sk-ant-api03-emu-<hex>`; the
scopeless key is valid but has no scopes: 403 `permission_error` on Enterprise paths, as the
Admin key gets outside the Usage and Cost Analytics API, and 401 on Admin paths); `now` (None =
real UTC clock, or a timezone-aware datetime that freezes it); `analytics_access` (the Primary
Owner's Access toggle; off = 404 to the Analytics key on every Enterprise path);
`cursor_ttl_seconds` (older cursors get 410); `retry_after` on 429:
"seconds" (default), "http-date" (the RFC 7231 date the budget refills) or "none" (True and
False still mean "seconds" and "none"), and Admin 429s always carry an
`anthropic-ratelimit-requests-reset` a few seconds in the past; `history_start` (first day of
activity; default 400 days before today); `null_metric_blocks` (default True: /users sends
about half of the metric blocks of products a user did not use as null instead of zeros);
`claude_code_amounts` ("number", default, or "string": the Claude Code report's
`estimated_cost.amount` as a decimal string); `usage_cost_amounts` ("string", default: decimal
cents as the legacy cost reports, or "number": the Usage and Cost Analytics API's `amount` and
`list_amount` as JSON numbers).

`Emulator` gives `url`, `admin_key`, `analytics_key`, `scopeless_key`, `org` (the ground truth,
see `claude_assets.emulator.org`), `faults` (see `faults.Faults`), `stats` (`stats.snapshot()`)
and `set_now(dt)`. The CLI is `python -m claude_assets.emulator --help`.

Fault switches (`faults.Faults`) arm the next N API requests, from a test
(`emu.faults.fail_next(2, status=503)`) or over HTTP (`POST /_emulator/faults` with
`{"fail_next": {"count": 2, "status": 503}}`): among them `fail_next` (5xx), `rate_limit_next`
(429), `cut_off_next` (the body stops halfway), `drop_next` (the connection closes unanswered),
`slow_next`, `expire_cursors_next` (410), and `non_json_next(count, body=..., content_type=
"text/html")`: a complete 200 that is not JSON and has no request-id, as a proxy or captive portal
answers in the API's place (default a sign-in page; `body=""` and `content_type=""` for an empty
answer with no content type); `echo_key_next(count, status=401)` answers 400, 401, 403 or 500 with a
message repeating the request's x-api-key verbatim, as some proxies do (a 400 also reads as an
unavailable day).

`telemetry.write_telemetry(org, out_dir, start, end, ...)` writes the OTLP/JSON lines files the
organization's Claude Code clients would have exported through a Collector's file exporter,
consistent with the Claude Code report, and returns their exact truth (`TelemetryTruth`). By
default its clients are the realistic ones (`realistic=True`) and their events share the metrics
file (`events="same"`); `realistic=False, events=None` writes the plain e-mail-only metrics, and
`collector_restart` adds a Collector restart. The CLI is `python -m claude_assets.emulator
telemetry --help`, and the server's `--telemetry-dir` writes them (with the defaults) for the
history before serving.
"""

from .config import EmulatorConfig
from .org import SyntheticOrg
from .server import Emulator

__all__ = ["Emulator", "EmulatorConfig", "SyntheticOrg"]
