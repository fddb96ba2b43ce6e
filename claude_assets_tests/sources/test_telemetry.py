"""Claude Code telemetry, written by the real OpenTelemetry SDK and OTLP encoder, lands per user and day."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re

import dagster as dg
import pytest
from google.protobuf.json_format import MessageToJson
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader
from opentelemetry.sdk.resources import Resource

from claude_assets.defs.assets.telemetry import build_telemetry_asset, claude_code_events, claude_code_telemetry
from claude_assets.defs.resources import LakeResource, TelemetryResource
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry
from claude_assets.engine import organizations
from claude_assets.engine.lake import Lake
from claude_assets_tests.helpers import TODAY

D1, D2 = TODAY - dt.timedelta(days=3), TODAY - dt.timedelta(days=2)
NS = 10**9


def at(day: dt.date, seconds: int) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc).timestamp()) * NS + seconds * NS


class Client:
    """One Claude Code process: an SDK meter whose collections become exporter lines."""

    def __init__(self, temporality: AggregationTemporality, email: str | None, session: str, **resource: str):
        self.reader = InMemoryMetricReader(preferred_temporality={Counter: temporality})
        provider = MeterProvider(metric_readers=[self.reader],
                                 resource=Resource({"service.name": "claude-code", **resource}))
        meter = provider.get_meter("com.anthropic.claude_code", "2.1.200")
        self.tokens = meter.create_counter("claude_code.token.usage", unit="tokens")
        self.commits = meter.create_counter("claude_code.commit.count")
        self.sessions = meter.create_counter("claude_code.session.count")
        self.attributes = {"session.id": session, "terminal.type": "vscode", **({"user.email": email} if email else {})}
        self.started: int | None = None

    def export(self, start_ns: int, end_ns: int) -> str:
        """One export batch as the Collector's file exporter writes it, stamped at the given times."""
        request = encode_metrics(self.reader.get_metrics_data())
        for resource in request.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.sum.data_points:
                        cumulative = metric.sum.aggregation_temporality == 2
                        point.start_time_unix_nano = (self.started or start_ns) if cumulative else start_ns
                        point.time_unix_nano = end_ns
        self.started = self.started or start_ns
        return MessageToJson(request, use_integers_for_enums=True, indent=None).replace("\n", "") + "\n"


def known_day_of_work(temporality) -> tuple[list[str], dict]:
    ana = Client(temporality, "Ana.Lopez@Example.com", "s-1")
    lines = []
    ana.sessions.add(1, {**ana.attributes, "start_type": "fresh"})
    ana.tokens.add(1200, {**ana.attributes, "type": "output", "model": "claude-sonnet-4-6[1m]"})
    ana.commits.add(1, ana.attributes)
    lines.append(ana.export(at(D1, 36000), at(D1, 36060)))
    ana.tokens.add(800, {**ana.attributes, "type": "output", "model": "claude-sonnet-4-6[1m]"})
    lines.append(ana.export(at(D1, 36060), at(D1, 36120)))
    lines.append(lines[-1])  # a retried export delivered twice
    ana.tokens.add(500, {**ana.attributes, "type": "output", "model": "claude-sonnet-4-6[1m]"})
    ana.commits.add(2, ana.attributes)
    lines.append(ana.export(at(D2, 100), at(D2, 160)))
    restarted = Client(temporality, "ana.lopez@example.com", "s-1")  # resumed in a new process
    restarted.tokens.add(300, {**restarted.attributes, "type": "output", "model": "claude-sonnet-4-6"})
    lines.append(restarted.export(at(D2, 200), at(D2, 260)))
    truth = {D1: {"output_tokens": 2000, "commits": 1, "sessions": 1}, D2: {"output_tokens": 800, "commits": 2, "sessions": 0}}
    if temporality == AggregationTemporality.DELTA:
        lines.pop(2)  # delta exporters are not retried into duplicates here; a duplicate delta would count twice
    return lines, truth


def materialize_telemetry(telemetry_dir, lake_dir, days):
    return dg.materialize(
        [claude_code_telemetry],
        tags={"dagster/asset_partition_range_start": str(days[0]), "dagster/asset_partition_range_end": str(days[-1])},
        resources={"telemetry": TelemetryResource(base_dir=str(telemetry_dir)), "lake": LakeResource(base_dir=str(lake_dir))},
        raise_on_error=False,
    )


def totals(lake_dir, day) -> dict:
    frame = Lake(str(lake_dir)).read_day("claude_code_telemetry", day).to_pandas()
    return frame


@pytest.mark.parametrize("temporality", [AggregationTemporality.DELTA, AggregationTemporality.CUMULATIVE],
                         ids=["delta", "cumulative"])
def test_sdk_written_metrics_add_up_per_user_and_day(tmp_path, temporality):
    lines, truth = known_day_of_work(temporality)
    (tmp_path / "otel").mkdir()
    (tmp_path / "otel" / "metrics.jsonl").write_text("".join(lines))
    result = materialize_telemetry(tmp_path / "otel", tmp_path / "lake", [D1, D2])
    assert result.success
    for day, expected in truth.items():
        frame = totals(tmp_path / "lake", day)
        assert set(frame["email"]) == {"ana.lopez@example.com"}, "mixed-case e-mails merge"
        assert set(frame["model"].dropna()) <= {"claude-sonnet-4-6"}, "the [1m] suffix is normalized away"
        for column, value in expected.items():
            assert frame[column].sum() == value, f"{day} {column}"


def test_garbage_and_truncated_lines_are_counted_and_the_rest_is_kept(tmp_path):
    lines, truth = known_day_of_work(AggregationTemporality.DELTA)
    broken = [lines[0], lines[1][: len(lines[1]) // 2] + "\n", "this is not json\n", *lines[2:]]
    (tmp_path / "otel").mkdir()
    (tmp_path / "otel" / "metrics.jsonl").write_text("".join(broken))
    result = materialize_telemetry(tmp_path / "otel", tmp_path / "lake", [D1, D2])
    assert result.success
    observation = next(e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION")
    metadata = observation.event_specific_data.asset_observation.metadata
    assert metadata["read/bad_lines"].value == 2
    assert "metrics.jsonl:2" in metadata["read/bad_line_examples"].value[0]
    assert totals(tmp_path / "lake", D2)["commits"].sum() == truth[D2]["commits"], "valid lines after them count"


def test_the_emulated_organization_s_telemetry_matches_its_truth(tmp_path):
    with Emulator(EmulatorConfig(seed=4, users=30, rate_limit_per_minute=0)) as emu:
        org = emu.org
    days = [TODAY - dt.timedelta(days=n) for n in (6, 5, 4)]
    for temporality in ("delta", "cumulative"):
        out = tmp_path / temporality
        truth = write_telemetry(org, out, days[0], days[-1], temporality=temporality, undercount=0.05,
                                max_megabytes=0.25, gzip_rotated=True,  # 3 days of 30 users: over 0.6 MB, any week
                                realistic=False, events=None)  # members by e-mail only, as truth.totals counts them
        assert any(str(f).endswith(".gz") for f in out.iterdir()), "rotated, compressed files are read too"
        assert materialize_telemetry(out, tmp_path / f"lake-{temporality}", days).success
        for day in days:
            frame = totals(tmp_path / f"lake-{temporality}", day)
            expected = {k: v for k, v in truth.totals.items() if k[0] == day}
            assert frame["output_tokens"].sum() == sum(t.output for t in expected.values())
            assert frame["commits"].sum() == sum(t.commits for t in expected.values())
            assert frame["cost_usd"].sum() == pytest.approx(sum(t.cost_usd for t in expected.values()))
            assert (frame["email"] == frame["email"].str.lower()).all()


def test_no_telemetry_yet_writes_empty_days_and_says_where_to_point(tmp_path):
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [claude_code_telemetry], partition_key=str(D1), instance=instance,
            resources={"telemetry": TelemetryResource(base_dir=str(tmp_path / "nothing-here")),
                       "lake": LakeResource(base_dir=str(tmp_path / "lake"))},
        )
        said = " ".join(e.user_message for e in instance.all_logs(result.run_id))
    assert result.success and Lake(str(tmp_path / "lake")).read_day("claude_code_telemetry", D1).num_rows == 0
    assert "CLAUDE_ASSETS_TELEMETRY_DIR" in said


def test_files_from_a_writer_whose_clock_is_behind_ours_are_still_read(tmp_path):
    """File times come from the Collector's clock. Ten days behind ours, its newest file still counts as new."""
    import os

    import fsspec

    from claude_assets.engine.telemetry.files import telemetry_files

    now = dt.datetime(2026, 3, 20, 12, tzinfo=dt.timezone.utc)
    behind = dt.timedelta(days=10)
    written = {"metrics.jsonl": now - dt.timedelta(hours=1), "metrics-2026-03-01.jsonl": dt.datetime(
        2026, 3, 1, tzinfo=dt.timezone.utc)}
    for name, when in written.items():
        (tmp_path / name).write_text("{}\n")
        os.utime(tmp_path / name, ((when - behind).timestamp(),) * 2)
    since = dt.datetime(2026, 3, 15, tzinfo=dt.timezone.utc)
    found = telemetry_files(fsspec.filesystem("file"), str(tmp_path), since, now)
    assert [os.path.basename(p) for p in found] == ["metrics.jsonl"], "the active file is read, the old one skipped"


def test_files_as_collectors_name_and_break_them_are_read_or_named(tmp_path):
    """Any extension, rotated and gzipped files are read; a corrupt archive or a README is named, not fatal."""
    lines, truth = known_day_of_work(AggregationTemporality.DELTA)
    otel = tmp_path / "otel"
    otel.mkdir()
    (otel / "metrics.ndjson").write_text(lines[0])
    (otel / "metrics").write_text(lines[1])  # the exporter's `path` with no extension
    (otel / "otel.log").write_text(lines[2] + '{"resourceLogs": [{"scopeLogs": []}]}\n')  # metrics and events in one file
    (otel / "metrics-2026-11-30T10-00-00.000.json.gz").write_bytes(gzip.compress(lines[3].encode()))
    (otel / "metrics-2026-11-29T10-00-00.000.json.gz").write_bytes(b"\x1f\x8b\x08\x00 damaged on the disk")
    (otel / "README.txt").write_text("Collector output lives here.\n")
    (otel / ".metrics.jsonl.swp").write_text("editor swap file")

    result = materialize_telemetry(otel, tmp_path / "lake", [D1, D2])
    assert result.success
    metadata = next(e for e in result.all_events
                    if e.event_type_value == "ASSET_OBSERVATION").event_specific_data.asset_observation.metadata
    assert metadata["read/bad_lines"].value == 0, "an events line is not a bad metrics line"
    assert metadata["read/event_lines"].value == 1
    [unreadable] = metadata["read/unreadable_file_list"].value
    assert "2026-11-29" in unreadable
    assert [p.rsplit("/", 1)[-1] for p in metadata["read/not_telemetry_file_list"].value] == ["README.txt"]
    for day, expected in truth.items():
        assert totals(tmp_path / "lake", day)["commits"].sum() == expected["commits"], day
    assert totals(tmp_path / "lake", D1)["output_tokens"].sum() == truth[D1]["output_tokens"]


def test_a_point_without_a_time_costs_only_itself(tmp_path):
    lines, truth = known_day_of_work(AggregationTemporality.DELTA)
    batch = json.loads(lines[0])
    points = [p for rm in batch["resourceMetrics"] for sm in rm["scopeMetrics"] for m in sm["metrics"]
              if m["name"] == "claude_code.session.count" for p in m["sum"]["dataPoints"]]
    del points[0]["timeUnixNano"]
    (tmp_path / "otel").mkdir()
    (tmp_path / "otel" / "metrics.jsonl").write_text(json.dumps(batch) + "\n" + "".join(lines[1:]))
    result = materialize_telemetry(tmp_path / "otel", tmp_path / "lake", [D1, D2])
    assert result.success
    day = totals(tmp_path / "lake", D1)
    assert day["sessions"].sum() == 0 and day["commits"].sum() == truth[D1]["commits"]
    assert day["output_tokens"].sum() == truth[D1]["output_tokens"], "the rest of the line still counts"


def test_every_identity_a_client_carries_is_kept_and_named(tmp_path, monkeypatch):
    """Signed-in users, API-key clients with enduser.id or only user.id, another organization's client."""
    day = D1
    ana = Client(AggregationTemporality.DELTA, "Ana@Example.com", "s-1", **{"service.version": "2.1.290"})
    ana.attributes["organization.id"] = "org_ours"
    bob = Client(AggregationTemporality.DELTA, None, "s-2")
    bob.attributes.update({"user.account_id": "user_01BOB", "user.id": "install-b", "organization.id": "org_ours"})
    carol = Client(AggregationTemporality.DELTA, None, "s-3", **{"enduser.id": "Carol@Example.com"})
    carol.attributes["user.id"] = "install-c"
    dave = Client(AggregationTemporality.DELTA, None, "s-4")
    dave.attributes["user.id"] = "install-d"
    eve = Client(AggregationTemporality.DELTA, None, "s-5")
    stranger = Client(AggregationTemporality.DELTA, "mo@elsewhere.example", "s-6")
    stranger.attributes["organization.id"] = "org_theirs"
    lines = []
    for n, client in enumerate((ana, bob, carol, dave, eve, stranger), 1):
        client.commits.add(n, client.attributes)
        client.sessions.add(1, {**client.attributes, "start_type": "agents_view" if client is bob else "fresh"})
        lines.append(client.export(at(day, 3600 * n), at(day, 3600 * n + 60)))
    (tmp_path / "otel").mkdir()
    (tmp_path / "otel" / "metrics.jsonl").write_text("".join(lines))

    monkeypatch.setenv("CLAUDE_ASSETS_TELEMETRY_ORGANIZATION_ID", "org_ours")
    result = dg.materialize(
        [build_telemetry_asset(organizations.from_environment())], partition_key=day.isoformat(),
        resources={"telemetry": TelemetryResource(base_dir=str(tmp_path / "otel")),
                   "lake": LakeResource(base_dir=str(tmp_path / "lake"))})
    frame = totals(tmp_path / "lake", day).set_index("identity")
    assert dict(frame["identity_source"]) == {
        "ana@example.com": "user.email", "user_01BOB": "user.account_id", "carol@example.com": "enduser.id",
        "install-d": "user.id", "unattributed": "unattributed"}, "the other organization's client is left out"
    assert dict(frame["commits"]) == {"ana@example.com": 1, "user_01BOB": 2, "carol@example.com": 3,
                                      "install-d": 4, "unattributed": 5}
    assert frame.loc["carol@example.com", "email"] == "carol@example.com", "an e-mail in enduser.id joins by e-mail"
    assert frame.loc["ana@example.com", "service_version"] == "2.1.290"
    assert frame.loc["ana@example.com", "organization_id"] == "org_ours"
    assert frame.loc["user_01BOB", "sessions"] == 0 and frame.loc["user_01BOB", "session_resumes"] == 0, \
        "the agents dashboard is not a session"
    metadata = next(e for e in result.all_events
                    if e.event_type_value == "ASSET_OBSERVATION").event_specific_data.asset_observation.metadata
    assert metadata["read/other_organization_points"].value == 2
    assert metadata["read/points_by_organization"].value == {"org_ours": 4, "none": 6, "org_theirs": 2}


# -- real clients as the emulator writes them: API-key clients, events, an idle weekend -------------------------
WEEKS = [dt.date(2026, 2, 23) + dt.timedelta(days=n) for n in range(14)]  # fixed days, Monday to Sunday twice
KIND = {"email": "user.email", "account_id": "user.account_id", "enduser.id": "enduser.id", "user.id": "user.id"}
MEASURE = {"sessions": "sessions", "resumes": "session_resumes", "lines_added": "lines_added",
           "lines_removed": "lines_removed", "commits": "commits", "pull_requests": "pull_requests",
           "input": "input_tokens", "output": "output_tokens", "cache_read": "cache_read_tokens",
           "cache_creation": "cache_creation_tokens",
           **{f"{tool}_{d}": f"{tool}_{d}" for tool in ("edit_tool", "write_tool", "notebook_edit_tool")
              for d in ("accepted", "rejected")}}


@pytest.fixture(scope="module", params=["delta", "cumulative"])
def real_clients(request, tmp_path_factory):
    """Two weeks of realistic clients with their events in the metrics file, read by both telemetry assets."""
    root = tmp_path_factory.mktemp(request.param)
    org = Emulator(EmulatorConfig(seed=5, users=25, now=dt.datetime(2026, 3, 10, 12, tzinfo=dt.timezone.utc))).org
    truth = write_telemetry(org, root / "otel", WEEKS[0], WEEKS[-1], temporality=request.param, undercount=0,
                            realistic=True, events="same")
    result = dg.materialize(
        [claude_code_telemetry, claude_code_events],
        tags={"dagster/asset_partition_range_start": str(WEEKS[0]), "dagster/asset_partition_range_end": str(WEEKS[-1])},
        resources={"telemetry": TelemetryResource(base_dir=str(root / "otel")),
                   "lake": LakeResource(base_dir=str(root / "lake"))})
    assert result.success
    lake = Lake(str(root / "lake"))
    return truth, lake.read_asset("claude_code_telemetry").to_pandas(), lake.read_asset("claude_code_events").to_pandas()


def test_every_person_day_of_real_clients_equals_the_truth_and_nothing_with_an_identity_is_unattributed(real_clients):
    truth, metrics, _ = real_clients
    assert truth.identity_points.get("user.id"), "API-key clients that send only user.id are in the files"
    assert truth.idle_gaps or truth.temporality == "delta", "a cumulative process idles over a weekend"
    got = metrics.assign(model=metrics["model"].fillna("")).groupby(
        ["date", "identity_source", "identity", "model", "terminal_type"])[list(MEASURE.values())].sum()
    expected = {(day, KIND[kind], who, model or "", terminal): {MEASURE[f]: getattr(t, f) for f in MEASURE}
                for (day, kind, who, model, terminal), t in truth.identity_totals.items()}
    expected = {k: v for k, v in expected.items() if any(v.values())}
    assert {k: v for k, v in got.to_dict("index").items() if any(v.values())} == expected
    assert "unattributed" not in set(metrics["identity_source"])


def test_events_give_each_person_day_its_exact_cost_and_store_no_content(real_clients):
    truth, _, events = real_clients
    requests = events[events["event"] == "api_request"]
    cost = requests.groupby(["date", "identity_source", "identity", "terminal_type"])["cost_usd_micros"].sum()
    assert cost.to_dict() == {(day, KIND[kind], who, terminal): micros
                              for (day, kind, who, terminal), micros in truth.event_cost_micros.items() if micros}
    assert events.groupby(["date", "event"]).size().to_dict() == {
        (day, name.removeprefix("claude_code.")): n for (day, name), n in truth.event_counts.items()}
    decisions = events[events["event"] == "tool_decision"]
    assert set(decisions["decision"]) == {"accept", "reject"} and decisions["tool_name"].notna().all()
    assert not events["attributes"].fillna("").str.contains('"prompt"').any()


def test_prompts_and_tool_contents_are_never_stored_even_when_a_client_sends_them(tmp_path):
    record = {"timeUnixNano": str(at(D1, 60)), "body": {"stringValue": "claude_code.user_prompt"}, "attributes": [
        {"key": "event.name", "value": {"stringValue": "user_prompt"}},
        {"key": "user.email", "value": {"stringValue": "ana@example.com"}},
        {"key": "prompt", "value": {"stringValue": "the secret plan"}},
        {"key": "prompt_length", "value": {"stringValue": "15"}},
        {"key": "tool_input", "value": {"stringValue": "cat ~/.ssh/id_rsa"}}]}
    line = {"resourceLogs": [{"resource": {"attributes": []}, "scopeLogs": [
        {"scope": {"name": "com.anthropic.claude_code.events"}, "logRecords": [record, record]}]}]}
    (tmp_path / "otel").mkdir()
    (tmp_path / "otel" / "logs.jsonl").write_text(json.dumps(line) + "\n")
    result = dg.materialize([claude_code_events], partition_key=D1.isoformat(), resources={
        "telemetry": TelemetryResource(base_dir=str(tmp_path / "otel")), "lake": LakeResource(base_dir=str(tmp_path / "lake"))})
    assert result.success
    stored = Lake(str(tmp_path / "lake")).read_day("claude_code_events", D1)
    assert stored.num_rows == 1, "a record delivered twice is kept once"
    assert json.loads(stored.to_pylist()[0]["attributes"]) == {"prompt_length": "15"}
    assert "secret" not in str(stored.to_pylist()) and "id_rsa" not in str(stored.to_pylist())


# -- a Collector restart and an idle weekend, read night by night as the schedule does ---------------------------
# Saturday 00:20, just after the 00:15 sync read Friday: the restart erases a week the lake has read, and a
# process idle from Friday to Monday resumes with its Friday lines gone
RESTART = dt.datetime(2026, 2, 28, 0, 20, tzinfo=dt.timezone.utc)
NIGHTLY = dt.timedelta(minutes=15)  # the telemetry sync reads yesterday at 00:15


def _files_as_of(lines: list[bytes], folder, after: dt.datetime, before: dt.datetime) -> None:
    """The Collector's one file as it stood at `before`, having been emptied by a restart at `after`."""
    def newest(line: bytes) -> int:
        return max(int(t) for t in re.findall(rb'"timeUnixNano":"(\d+)"', line))
    low, high = after.timestamp() * 1e9, before.timestamp() * 1e9
    (folder / "metrics.jsonl").write_bytes(b"".join(line for line in lines if low <= newest(line) < high))


def _day_totals(lake: Lake, day: dt.date) -> dict:
    frame = lake.read_day("claude_code_telemetry", day).to_pandas()
    frame = frame.assign(model=frame["model"].fillna(""))
    got = frame.groupby(["identity_source", "identity", "model", "terminal_type"])[list(MEASURE.values())].sum()
    return {k: v for k, v in got.to_dict("index").items() if any(v.values())}


@pytest.mark.slow
def test_a_collector_restart_and_an_idle_weekend_lose_nothing_that_was_read(tmp_path):
    org = Emulator(EmulatorConfig(seed=5, users=25, now=dt.datetime(2026, 3, 10, 12, tzinfo=dt.timezone.utc))).org
    truth = write_telemetry(org, tmp_path / "written", WEEKS[0], WEEKS[-1], temporality="cumulative", undercount=0,
                            realistic=True, events="same")
    assert any(g.last_export < RESTART < g.next_export for g in truth.idle_gaps), "a process idles across the restart"
    lines = (tmp_path / "written" / "metrics.jsonl").read_bytes().splitlines(keepends=True)
    otel, lake = tmp_path / "otel", Lake(str(tmp_path / "lake"))
    otel.mkdir()
    resources = {"telemetry": TelemetryResource(base_dir=str(otel)), "lake": LakeResource(base_dir=lake.base)}
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    for day in WEEKS:  # each night, yesterday is read from the file as it stands then
        sync = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.timezone.utc) + NIGHTLY
        _files_as_of(lines, otel, epoch if sync <= RESTART else RESTART, sync)
        assert dg.materialize([claude_code_telemetry, claude_code_events], partition_key=str(day),
                              resources=resources).success

    expected = {}
    for (day, kind, who, model, terminal), t in truth.identity_totals.items():
        row = {MEASURE[f]: getattr(t, f) for f in MEASURE}
        if any(row.values()):
            expected.setdefault(day, {})[(KIND[kind], who, model or "", terminal)] = row
    for day in WEEKS:
        assert _day_totals(lake, day) == expected[day], f"{day}: the idle weekend's Monday counts only its rise"
    assert "unattributed" not in set(lake.read_asset("claude_code_telemetry")["identity_source"].to_pylist())
    read_nightly = {day: _day_totals(lake, day) for day in WEEKS}
    kept = lake.read_lines("claude_code_telemetry", WEEKS[0])
    assert kept and all(b'"resourceMetrics"' in line for line in kept), "the metrics lines read are kept"

    result = dg.materialize(  # the whole fortnight again, from the file the restart emptied and what was kept
        [claude_code_telemetry, claude_code_events], resources=resources,
        tags={"dagster/asset_partition_range_start": str(WEEKS[0]), "dagster/asset_partition_range_end": str(WEEKS[-1])})
    assert result.success
    assert {day: _day_totals(lake, day) for day in WEEKS} == read_nightly, "a day read again never shrinks"
    observation = next(e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION")
    assert observation.event_specific_data.asset_observation.metadata["read/kept_only_lines"].value > 0
    events = lake.read_asset("claude_code_events").to_pandas()
    requests = events[events["event"] == "api_request"]
    cost = requests.groupby(["date", "identity_source", "identity", "terminal_type"])["cost_usd_micros"].sum()
    assert cost.to_dict() == {(day, KIND[kind], who, terminal): micros
                              for (day, kind, who, terminal), micros in truth.event_cost_micros.items() if micros}, \
        "every event read before the restart is still there, its cost to the micro-dollar"
