"""Anthropic's own example payloads, served over HTTP by a stub, land in Parquet without loss.

Every leaf of every example ends up either in its typed column (equal once parsed) or in the
`extra` JSON column: as an unknown field, or under `_unparsed` when it is a placeholder such as
"amount": "amount" that no type can hold.
"""

from __future__ import annotations

import datetime as dt
import decimal
import http.server
import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from claude_assets.engine.client import ApiClient, ApiKey, KeyKind
from claude_assets.engine.fetch import sync_span
from claude_assets.engine.lake import Lake
from claude_assets.engine.tables import _PARSERS, Table, _leaves
from claude_assets.sources import ENDPOINTS
from claude_assets_tests.helpers import TODAY, materializations, materialize
from claude_assets_tests.stack import REPO

EXAMPLES = REPO / "claude_assets_tests" / "fixtures" / "api_examples"
PREFIX = {
    "claude_code_report": "claude_code_usage_report",
    "api_messages_usage": "messages_usage_report",
    "api_messages_usage_by_geo": "messages_usage_report",
    "api_cost": "cost_report",
    "enterprise_user_activity": "analytics_users",
    "enterprise_summaries": "analytics_summaries",
    "enterprise_chat_projects": "analytics_chat_projects",
    "enterprise_skills": "analytics_skills",
    "enterprise_connectors": "analytics_connectors",
    "enterprise_user_usage": "analytics_user_usage_report",
    "enterprise_user_cost": "analytics_user_cost_report",
    "enterprise_usage": "analytics_usage_report",
    "enterprise_cost": "analytics_cost_report",
    "claude_usage": "analytics_usage",  # the only published example is truncated text: none to replay yet
    "claude_cost": "analytics_cost",
}
CASES = [(e, path) for e in ENDPOINTS for path in sorted(EXAMPLES.glob(f"{PREFIX[e.name]}.example*.json"))]


class Stub:
    """Serves one JSON body for page 1 and an empty last page for any cursor."""

    def __init__(self):
        self.body: dict = {}
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                query = parse_qs(urlsplit(self.path).query)
                body = stub.body
                if "page" in query:
                    body = {k: ([] if isinstance(v, list) else v) for k, v in body.items()}
                    body.update({"has_more": False, "next_page": None} if "has_more" in body else {"next_page": None})
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def stub():
    server = Stub()
    yield server
    server.server.shutdown()


def client_for(endpoint, url) -> ApiClient:
    kind = endpoint.key_kind or KeyKind.ANALYTICS
    key = "sk-ant-admin01-stub" if kind is KeyKind.ADMIN else "sk-ant-analytics-stub"
    return ApiClient(ApiKey(key, kind), url, requests_per_minute=None)


def elements(table: Table, records: list[dict]) -> list[dict]:
    if table.explode is None:
        return records
    return [e for r in records for e in (r.get(table.explode) or [])]


def assert_nothing_lost(table: Table, records: list[dict], stored: list[dict]) -> None:
    by_path = {source: c for c in table.columns if not c.from_parent for source in c.sources}
    originals = elements(table, records)
    assert len(stored) == len(originals)
    for original, row in zip(originals, stored):
        extra = json.loads(row["extra"] or "{}")
        unparsed = extra.pop("_unparsed", {})
        for path, value in _leaves(original):
            if any(path == c or path.startswith(c + ".") for c in table.consumed_elsewhere):
                continue
            column = by_path.get(path)
            if column is None:
                assert extra[path] == value, f"{table.asset}: {path} is neither a column nor in extra"
            elif path in unparsed:
                assert unparsed[path] == value and row[column.name] is None
            elif value is None:
                assert row[column.name] is None
            elif column.scale:
                assert row[column.name] == pytest.approx(float(decimal.Decimal(str(value))) * column.scale)
            else:
                assert row[column.name] == _PARSERS[str(column.type)](value), f"{table.asset}.{column.name}"


@pytest.mark.parametrize("endpoint,example", CASES, ids=[p.stem for _, p in CASES])
def test_an_official_example_round_trips_into_parquet(stub, tmp_path, endpoint, example):
    stub.body = json.loads(example.read_text())
    records = list(endpoint.records(stub.body))
    day = endpoint.record_day(records[0]) or dt.date(2026, 3, 1)
    lake = Lake(str(tmp_path))
    with client_for(endpoint, stub.url) as client:
        [result] = sync_span(endpoint, client, lake, [day], endpoint.assets)
    assert result.status == "written"
    for table in endpoint.tables:
        stored = lake.read_day(table.asset, day).to_pylist()
        assert_nothing_lost(table, records, stored)


def test_schema_drift_is_recorded_not_dropped(stub, tmp_path):
    day = TODAY - dt.timedelta(days=3)
    body = json.loads((EXAMPLES / "claude_code_usage_report.example2.json").read_text())
    record = body["data"][0]
    record["date"] = f"{day}T00:00:00Z"
    record["core_metrics"]["num_agent_handoffs"] = 4  # a field this version does not know
    record["tool_actions"]["grep_tool"] = {"accepted": 3, "rejected": 0}
    del record["customer_type"]  # an optional field gone missing
    stub.body = body

    class Emu:  # the stub stands where the emulator usually does
        url, admin_key, analytics_key = stub.url, "sk-ant-admin01-stub", "sk-ant-analytics-stub"

    result = materialize(Emu, str(tmp_path), ["claude_code_usage"], day=day)
    assert result.success
    row = Lake(str(tmp_path)).read_day("claude_code_usage", day).to_pylist()[0]
    assert row["customer_type"] is None and row["sessions"] == 5
    assert json.loads(row["extra"]) == {
        "core_metrics.num_agent_handoffs": 4,
        "tool_actions.grep_tool.accepted": 3,
        "tool_actions.grep_tool.rejected": 0,
    }
    metadata = materializations(result)["claude_code_usage"][0].metadata
    assert metadata["extra_fields"].value == 3
    assert "core_metrics.num_agent_handoffs" in metadata["extra_field_names"].value


def test_a_record_for_another_day_is_refused_not_misfiled(stub, tmp_path):
    stub.body = json.loads((EXAMPLES / "claude_code_usage_report.example2.json").read_text())  # dated 2025-09-08
    endpoint = ENDPOINTS[0]
    with client_for(endpoint, stub.url) as client, pytest.raises(Exception, match="outside the days asked for"):
        sync_span(endpoint, client, Lake(str(tmp_path)), [dt.date(2025, 9, 9)], endpoint.assets)
    assert Lake(str(tmp_path)).days("claude_code_usage") == []
