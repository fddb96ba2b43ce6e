"""Contract: what the emulator serves has the shape of Anthropic's published examples.

For every endpoint we fetch real responses over HTTP and compare them, recursively, with the
official example payloads in fixtures/api_examples (the newest `example1`, unioned with older
versions where keys were renamed):

- every key the emulator emits exists in some official example of that endpoint;
- every key of the newest example is emitted, except the grouped-only or optional fields
  listed below with the reason;
- JSON types agree (int and float are both "number"; null only where the reference says the
  field is nullable; placeholder strings such as `"amount": "amount"` are not type evidence).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import httpx
import pytest

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets_tests.stack import REPO

EXAMPLES = REPO / "claude_assets_tests" / "fixtures" / "api_examples"  # copied from shared/api-examples

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
ADMIN, ANALYTICS = "admin", "analytics"
DAY = "2026-03-04"  # a weekday inside every window at NOW
INSTANT = "2026-03-02T00:00:00Z"
ENTERPRISE_DIMS = ["product", "model", "context_window", "inference_geo", "speed"]
# Live APIs refuse more than 5 group_by[] values (field report F1), so wider groupings are split.
COST_FANOUT = ["cost_type", "token_type"]
# Per-user rows are undated unless asked for daily buckets (field report F5).
PER_USER_DAILY = {"starting_at": INSTANT, "ending_at": "2026-03-04T00:00:00Z", "bucket_width": "1d", "limit": 3}

GROUPED_ONLY = ("grouped-only: present only when grouping on a dimension the emulator does not "
                "group by for this endpoint")
# endpoint -> (example prefix, key kind, [query params of each request to union], optional keys)
ENDPOINTS = {
    "/v1/organizations/usage_report/claude_code": (
        "claude_code_usage_report", ADMIN, [{"starting_at": DAY, "limit": 1000}], {}),
    "/v1/organizations/usage_report/messages": (
        "messages_usage_report", ADMIN,
        [{"starting_at": INSTANT, "limit": 2},
         {"starting_at": INSTANT, "limit": 2, "group_by[]": ["api_key_id", "workspace_id", "model", "service_tier"]},
         {"starting_at": INSTANT, "limit": 2, "group_by[]": ["context_window", "inference_geo", "account_id",
                                                             "service_account_id"]}], {}),
    "/v1/organizations/cost_report": (
        "cost_report", ADMIN,
        [{"starting_at": INSTANT, "limit": 2},
         {"starting_at": INSTANT, "limit": 2, "group_by[]": ["workspace_id", "description"]}], {}),
    "/v1/organizations/analytics/users": (
        "analytics_users", ANALYTICS,
        [{"date": DAY, "limit": 5}, {"date": DAY, "group_by[]": "rbac_group_id"}], {}),
    "/v1/organizations/analytics/summaries": (
        "analytics_summaries", ANALYTICS, [{"starting_date": "2026-03-02", "ending_date": "2026-03-05"}], {}),
    "/v1/organizations/analytics/apps/chat/projects": ("analytics_chat_projects", ANALYTICS, [{"date": DAY}], {}),
    "/v1/organizations/analytics/skills": ("analytics_skills", ANALYTICS, [{"date": DAY}], {}),
    "/v1/organizations/analytics/connectors": ("analytics_connectors", ANALYTICS, [{"date": DAY}], {}),
    "/v1/organizations/analytics/plugins": (
        "analytics_plugins", ANALYTICS, [{"date": DAY}],
        dict.fromkeys(["product", "rbac_group_id", "rbac_group_name", "user_id"], GROUPED_ONLY)),
    "/v1/organizations/analytics/artifacts": (
        "analytics_artifacts", ANALYTICS,
        [{"date": DAY}, {"date": DAY, "group_by[]": ["user_id", "rbac_group_id"]}],
        {"product": "grouped-only: the reference documents group_by[] user_id and rbac_group_id only"}),
    "/v1/organizations/analytics/user_usage_report": (
        "analytics_user_usage_report", ANALYTICS,
        [{"starting_at": INSTANT, "limit": 3}, {"starting_at": INSTANT, "limit": 3, "group_by[]": ENTERPRISE_DIMS},
         PER_USER_DAILY], {}),
    "/v1/organizations/analytics/user_cost_report": (
        "analytics_user_cost_report", ANALYTICS,
        [{"starting_at": INSTANT, "limit": 3},
         {"starting_at": INSTANT, "limit": 3, "group_by[]": ENTERPRISE_DIMS},
         {"starting_at": INSTANT, "limit": 3, "group_by[]": COST_FANOUT}, PER_USER_DAILY], {}),
    "/v1/organizations/analytics/usage_report": (
        "analytics_usage_report", ANALYTICS,
        [{"starting_at": INSTANT, "limit": 2}, {"starting_at": INSTANT, "limit": 2, "group_by[]": ENTERPRISE_DIMS}], {}),
    "/v1/organizations/analytics/cost_report": (
        "analytics_cost_report", ANALYTICS,
        [{"starting_at": INSTANT, "limit": 2},
         {"starting_at": INSTANT, "limit": 2, "group_by[]": ENTERPRISE_DIMS},
         {"starting_at": INSTANT, "limit": 2, "group_by[]": COST_FANOUT}], {}),
}

# Keys the reference documents although no official example shows them.
DOCUMENTED_BEYOND_EXAMPLES = {
    "claude_code_usage_report": {"data[].actor.api_key_name"},  # §1: api_actor rows; SOURCES.md: no example has one
}

# Keys that may be null, per the reference (dimensions are null unless grouped on; distinct
# counts are null on aggregated rows; `next_page` is null on the last page) and the field
# reports (F8: /users metric blocks of unused products; F13: grouping fields on every row).
_UNGROUPED = {"product", "rbac_group_id", "rbac_group_name", "user_id", "next_page"}
_ENTERPRISE_NULLABLE = {*ENTERPRISE_DIMS, "cost_type", "token_type", "requests", "rbac_group_id",
                        "slack_channel_id", "claude_tag_category", "claude_tag_user_id", "next_page"}
NULLABLE = {
    "claude_code_usage_report": {"subscription_type", "next_page"},
    "messages_usage_report": {"account_id", "api_key_id", "context_window", "inference_geo", "model",
                              "service_account_id", "service_tier", "workspace_id", "speed", "next_page"},
    "cost_report": {"context_window", "cost_type", "description", "inference_geo", "model", "service_tier",
                    "token_type", "workspace_id", "next_page"},
    "analytics_users": {"next_page", "distinct_*", "rbac_group_id", "rbac_group_name", "chat_metrics",
                        "claude_code_metrics", "cowork_metrics", "office_metrics", "design_metrics", "science_metrics"},
    "analytics_chat_projects": {*_UNGROUPED, "created_at", "created_by"},
    "analytics_skills": _UNGROUPED,
    "analytics_connectors": _UNGROUPED,
    "analytics_user_usage_report": _ENTERPRISE_NULLABLE,
    "analytics_user_cost_report": _ENTERPRISE_NULLABLE,
    "analytics_usage_report": _ENTERPRISE_NULLABLE,
    "analytics_cost_report": _ENTERPRISE_NULLABLE,
}


def _examples(prefix: str) -> list[dict]:
    files = sorted(EXAMPLES.glob(f"{prefix}.example*.json"), key=lambda p: int(re.search(r"example(\d+)", p.name)[1]))
    assert files, f"no official examples for {prefix}"
    return [json.loads(p.read_text()) for p in files]


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _shape(value, path: str = "", out: dict | None = None) -> dict[str, set]:
    """path -> set of (kind, value-if-string) seen; list items share the path `x[]`."""
    out = {} if out is None else out
    if isinstance(value, dict):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else key
            out.setdefault(child_path, set()).add((_kind(child), child if isinstance(child, str) else None))
            _shape(child, child_path, out)
    elif isinstance(value, list):
        for item in value:
            _shape(item, f"{path}[]", out)
    return out


def _nullable(prefix: str, path: str) -> bool:
    leaf = path.rsplit(".", 1)[-1]
    allowed = NULLABLE.get(prefix, {"next_page"})
    return leaf in allowed or ("distinct_*" in allowed and leaf.startswith("distinct_"))


def _is_placeholder(path: str, text: str | None) -> bool:
    return text is not None and text == path.rsplit(".", 1)[-1].removesuffix("[]")


@pytest.fixture(scope="module")
def emu():
    with Emulator(EmulatorConfig(seed=7, users=40, now=NOW, rate_limit_per_minute=0)) as emulator:
        yield emulator


def _get(emu, kind: str, path: str, params: dict) -> httpx.Response:
    key = emu.admin_key if kind == ADMIN else emu.analytics_key
    return httpx.get(emu.url + path, params=params,
                     headers={"x-api-key": key, "anthropic-version": "2023-06-01"}, timeout=30)


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_endpoint_matches_official_examples(emu, path):
    prefix, kind, requests, optional = ENDPOINTS[path]
    examples = _examples(prefix)
    newest = _shape(examples[0])
    union: dict[str, set] = {}
    for example in examples:
        for p, kinds in _shape(example).items():
            union.setdefault(p, set()).update(kinds)

    emitted: dict[str, set] = {}
    for params in requests:
        response = _get(emu, kind, path, params)
        assert response.status_code == 200, response.text
        assert response.headers["request-id"].startswith("req_")
        body = response.json()
        assert body["data"], f"{path} {params} returned no rows, so its shape can't be checked"
        for p, kinds in _shape(body).items():
            emitted.setdefault(p, set()).update(kinds)

    invented = sorted(set(emitted) - set(union) - DOCUMENTED_BEYOND_EXAMPLES.get(prefix, set()))
    assert not invented, f"{path} emits keys no official example has: {invented}"

    missing = sorted(p for p in set(newest) - set(emitted) if p.rsplit(".", 1)[-1] not in optional)
    assert not missing, f"{path} omits keys of the newest example: {missing}"

    for p, kinds in emitted.items():
        expected = {k for k, text in union.get(p, ())  if not _is_placeholder(p, text)} - {"null"}
        for kind_seen, _ in kinds:
            if kind_seen == "null":
                assert _nullable(prefix, p), f"{path}: {p} is null but the reference doesn't make it nullable"
            elif expected:
                assert kind_seen in expected, f"{path}: {p} is {kind_seen}, examples have {expected}"


def test_engagement_endpoints_have_no_has_more(emu):
    """Engagement responses are {"data", "next_page"} only; has_more belongs to the other APIs."""
    body = _get(emu, ANALYTICS, "/v1/organizations/analytics/users", {"date": DAY, "limit": 1}).json()
    assert set(body) == {"data", "next_page"} and body["next_page"].startswith("page_")


def test_error_body_matches_the_generic_claude_api_error():
    official = _examples("error.generic_claude_api")[0]
    with Emulator(EmulatorConfig(seed=7, users=5, now=NOW)) as emu:
        response = httpx.get(emu.url + "/v1/organizations/analytics/users", params={"date": DAY},
                             headers={"x-api-key": "sk-ant-wrong"})
    body = response.json()
    assert response.status_code == 404
    assert _shape(body).keys() == _shape(official).keys()
    assert body["type"] == "error" and body["error"]["type"] == "not_found_error"
    assert body["request_id"] == response.headers["request-id"] and body["request_id"].startswith("req_")
    assert "sk-ant-wrong" not in response.text
