"""Hostile telemetry files cost a counted bad line, never a stopped asset, and never unbounded memory.

Each case is a Collector's file (written by the emulator as a file exporter writes it) with hostile
lines in it, read by both real telemetry assets. NaN, Infinity, integers past 64 bits and times past
year 9999 used to raise (or land as cost_usd = nan) on every run; a gzip bomb, a line of gigabytes
and a FIFO used to take all memory or hang. Memory is measured as the peak RSS of a process that
runs the assets, against `MEMORY_LIMIT_MB`, the bound the README documents.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import math
import os
import subprocess
import sys

import dagster as dg
import pytest
from google.protobuf.json_format import MessageToJson
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader
from opentelemetry.sdk.resources import Resource

from claude_assets.defs.assets.telemetry import claude_code_events, claude_code_telemetry
from claude_assets.defs.resources import LakeResource, TelemetryResource
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry
from claude_assets.engine.lake import Lake

DAY = dt.date(2026, 3, 4)  # a fixed day the emulated clients worked
NS = 10**9
MALLORY = "mallory@example.com"
YEAR_10000 = str(int(dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc).timestamp() + 1) * NS)
MEMORY_LIMIT_MB = 400  # README: reading hostile telemetry stays under this peak RSS
MIB = 2**20


def at(seconds: int) -> int:
    return int(dt.datetime.combine(DAY, dt.time(), tzinfo=dt.timezone.utc).timestamp() + seconds) * NS


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    """(the lines of a day of realistic clients, metrics and events in one file as a Collector writes them; its truth)."""
    out = tmp_path_factory.mktemp("collector")
    org = Emulator(EmulatorConfig(seed=5, users=8, now=dt.datetime(2026, 3, 10, 12, tzinfo=dt.timezone.utc))).org
    truth = write_telemetry(org, out, DAY, DAY, temporality="delta", undercount=0, realistic=True, events="same")
    return (out / "metrics.jsonl").read_bytes().splitlines(keepends=True), truth


def mallory_metrics() -> dict:
    """One export batch of a client, encoded by the real OpenTelemetry SDK and OTLP encoder: 3 commits,
    100 output tokens, $0.25."""
    reader = InMemoryMetricReader(preferred_temporality={Counter: AggregationTemporality.DELTA})
    meter = MeterProvider(metric_readers=[reader], resource=Resource({"service.name": "claude-code"})).get_meter(
        "com.anthropic.claude_code", "2.1.200")
    attributes = {"user.email": MALLORY, "session.id": "s-m", "terminal.type": "vscode", "model": "claude-sonnet-4-6"}
    meter.create_counter("claude_code.commit.count").add(3, attributes)
    meter.create_counter("claude_code.token.usage").add(100, {**attributes, "type": "output"})
    meter.create_counter("claude_code.cost.usage", unit="USD").add(0.25, attributes)
    request = encode_metrics(reader.get_metrics_data())
    for metric in (m for r in request.resource_metrics for s in r.scope_metrics for m in s.metrics):
        for point in metric.sum.data_points:
            point.start_time_unix_nano, point.time_unix_nano = at(3600), at(3660)
    return json.loads(MessageToJson(request, use_integers_for_enums=True, indent=None))


def point_of(batch: dict, name: str) -> dict:
    return next(m for r in batch["resourceMetrics"] for s in r["scopeMetrics"] for m in s["metrics"]
                if m["name"] == name)["sum"]["dataPoints"][0]


def mallory_events(lines: list[bytes]) -> dict:
    """An events line of two of Mallory's API requests, copied from a real client's: both land unless spoiled."""
    batch = json.loads(next(line for line in lines if b'"resourceLogs"' in line and b"claude_code.api_request" in line))
    scope = batch["resourceLogs"][0]["scopeLogs"][0]
    request = next(r for r in scope["logRecords"] if r["body"]["stringValue"] == "claude_code.api_request")
    records = []
    for number in (1, 2):
        record = copy.deepcopy(request)
        for attribute in record["attributes"]:
            if attribute["key"] == "user.email":
                attribute["value"] = {"stringValue": MALLORY}
            if attribute["key"] == "request_id":
                attribute["value"] = {"stringValue": f"req_mallory_{number}"}
        records.append(record)
    scope["logRecords"] = records
    return batch


def spoil_attribute(record: dict, key: str, value) -> None:
    next(a for a in record["attributes"] if a["key"] == key)["value"] = value


# case -> (how Mallory's metrics batch is spoiled, how her first API request is spoiled, the measure left out)
CASES = {
    "NaN count": (lambda b: point_of(b, "claude_code.token.usage").update(asInt=math.nan),
                  lambda r: spoil_attribute(r, "input_tokens", {"doubleValue": math.nan}), "output_tokens"),
    "Infinity count": (lambda b: point_of(b, "claude_code.token.usage").update(asInt=math.inf),
                       lambda r: spoil_attribute(r, "output_tokens", {"doubleValue": math.inf}), "output_tokens"),
    "NaN cost": (lambda b: point_of(b, "claude_code.cost.usage").update(asDouble=math.nan),
                 lambda r: spoil_attribute(r, "cost_usd_micros", {"doubleValue": math.nan}), "cost_usd"),
    "Infinity cost": (lambda b: point_of(b, "claude_code.cost.usage").update(asDouble=math.inf),
                      lambda r: spoil_attribute(r, "cost_usd_micros", {"doubleValue": -math.inf}), "cost_usd"),
    "integer of 2^63": (lambda b: point_of(b, "claude_code.token.usage").update(asInt=str(2**63)),
                        lambda r: spoil_attribute(r, "input_tokens", {"intValue": str(2**63)}), "output_tokens"),
    "negative count": (lambda b: point_of(b, "claude_code.token.usage").update(asInt="-5"),
                       lambda r: spoil_attribute(r, "duration_ms", {"intValue": "-5"}), "output_tokens"),
    "time past year 9999": (lambda b: point_of(b, "claude_code.token.usage").update(timeUnixNano=YEAR_10000),
                            lambda r: r.update(timeUnixNano=YEAR_10000, observedTimeUnixNano=YEAR_10000),
                            "output_tokens"),
}


def observations(result) -> dict[str, dict]:
    """{asset: the metadata of what its run read}."""
    return {e.asset_key.path[-1]: {k: v.value for k, v in e.event_specific_data.asset_observation.metadata.items()}
            for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"}


@pytest.mark.parametrize("case", list(CASES))
def test_an_impossible_number_or_time_is_a_counted_bad_line_and_the_rest_lands(tmp_path, collector, case):
    lines, truth = collector
    spoil_metrics, spoil_event, left_out = CASES[case]
    metrics, events = mallory_metrics(), mallory_events(lines)
    spoil_metrics(metrics)
    spoil_event(events["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0])
    middle = len(lines) // 2
    hostile = [json.dumps(metrics).encode() + b"\n", json.dumps(events).encode() + b"\n"]  # NaN, Infinity as json writes them
    (tmp_path / "otel").mkdir()
    (tmp_path / "otel" / "metrics.jsonl").write_bytes(b"".join(lines[:middle] + hostile + lines[middle:]))

    result = dg.materialize([claude_code_telemetry, claude_code_events], partition_key=DAY.isoformat(),
                            resources={"telemetry": TelemetryResource(base_dir=str(tmp_path / "otel")),
                                       "lake": LakeResource(base_dir=str(tmp_path / "lake"))}, raise_on_error=False)

    assert result.success, "a bad value never stops the asset"
    read = observations(result)
    for asset, number in (("claude_code_telemetry", middle + 1), ("claude_code_events", middle + 2)):
        assert (read[asset]["read/bad_lines"], read[asset]["read/bad_values"]) == (1, 1), asset
        [example] = read[asset]["read/bad_line_examples"]
        assert f"metrics.jsonl:{number}: 1 " in example and len(example) < 400, example
    lake = Lake(str(tmp_path / "lake"))
    metrics_rows = lake.read_day("claude_code_telemetry", DAY).to_pandas()
    events_rows = lake.read_day("claude_code_events", DAY).to_pandas()
    for frame in (metrics_rows, events_rows):
        numbers = frame.select_dtypes("number")
        assert numbers.apply(lambda column: column.dropna().map(math.isfinite).all()).all(), "no nan or inf in the lake"
    others = metrics_rows[metrics_rows["identity"] != MALLORY]
    assert others["output_tokens"].sum() == sum(t.output for k, t in truth.identity_totals.items() if k[0] == DAY), \
        "every line after the bad one is read"
    [mallory] = metrics_rows[metrics_rows["identity"] == MALLORY].to_dict("records")
    assert mallory["commits"] == 3, "the good points of the bad line count"
    assert mallory[left_out] == 0 and mallory[{"cost_usd": "output_tokens"}.get(left_out, "cost_usd")] > 0
    requests = events_rows[events_rows["event"] == "api_request"]
    assert requests[requests["identity"] != MALLORY]["cost_usd_micros"].sum() == sum(truth.event_cost_micros.values())
    assert list(requests[requests["identity"] == MALLORY]["request_id"]) == ["req_mallory_2"], \
        "only the spoiled record is left out"


def test_counts_that_add_up_past_64_bits_are_held_not_fatal(tmp_path, collector):
    """1100 batches of 2^53 - 1 tokens each, every one a valid point, add up past what an int64 column holds."""
    lines, truth = collector
    batches = []
    for minute in range(1100):
        batch = mallory_metrics()
        point = point_of(batch, "claude_code.token.usage")
        point.update(asInt=str(2**53 - 1), timeUnixNano=str(at(60 * minute + 60)))
        batches.append(json.dumps(batch).encode() + b"\n")
    (tmp_path / "otel").mkdir()
    (tmp_path / "otel" / "metrics.jsonl").write_bytes(b"".join(lines + batches))

    result = dg.materialize([claude_code_telemetry], partition_key=DAY.isoformat(), raise_on_error=False,
                            resources={"telemetry": TelemetryResource(base_dir=str(tmp_path / "otel")),
                                       "lake": LakeResource(base_dir=str(tmp_path / "lake"))})

    assert result.success
    assert observations(result)["claude_code_telemetry"]["read/capped_totals"] == 1
    frame = Lake(str(tmp_path / "lake")).read_day("claude_code_telemetry", DAY).to_pandas()
    assert frame[frame["identity"] == MALLORY]["output_tokens"].sum() == 2**53
    assert frame[frame["identity"] != MALLORY]["output_tokens"].sum() == sum(
        t.output for k, t in truth.identity_totals.items() if k[0] == DAY)


# -- what a file may cost: measured in a process of its own ------------------------------------------------------
READ = """
import json, sys
import dagster as dg
from claude_assets.defs.assets.telemetry import claude_code_events, claude_code_telemetry
from claude_assets.defs.resources import LakeResource, TelemetryResource
otel, lake, day = sys.argv[1:]
result = dg.materialize([claude_code_telemetry, claude_code_events], partition_key=day, raise_on_error=False,
                        resources={"telemetry": TelemetryResource(base_dir=otel), "lake": LakeResource(base_dir=lake)})
read = {e.asset_key.path[-1]: {k: v.value for k, v in e.event_specific_data.asset_observation.metadata.items()}
        for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"}
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so it would report the parent's (pytest's) peak
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"success": result.success, "read": read, "peak_mb": int(hwm.split()[1]) / 1024}))
"""


def read_in_a_process(tmp_path, **limits: int) -> dict:
    """Both telemetry assets over `tmp_path/otel` in a fresh process with these limits (bytes); what it read, its peak RSS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_ASSETS_TELEMETRY_MAX_")}
    env.update({f"CLAUDE_ASSETS_TELEMETRY_MAX_{name.upper()}_BYTES": str(value) for name, value in limits.items()})
    done = subprocess.run([sys.executable, "-c", READ, str(tmp_path / "otel"), str(tmp_path / "lake"), DAY.isoformat()],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_bomb(path, head: bytes, repeated: bytes, expands_to: int, tail: bytes) -> None:
    """A gzip file of `head`, `repeated` over and over to `expands_to` bytes, then `tail`: gzip -9 members, the
    repeated one written again and again, so a file of a few megabytes expands to gigabytes in no time."""
    block = repeated * max(1, (16 * MIB) // len(repeated))
    member = gzip.compress(block, 9)
    with open(path, "wb") as out:
        out.write(gzip.compress(head, 9))
        for _ in range(expands_to // len(block)):
            out.write(member)
        out.write(gzip.compress(tail, 9))


@pytest.mark.subprocess
@pytest.mark.slow
def test_a_gzip_bomb_is_read_up_to_its_limit_and_named(tmp_path, collector):
    """1 GiB of export lines in a .gz of a megabyte, against a limit of 32 MiB: read to there, named, memory bounded."""
    lines, truth = collector
    (tmp_path / "otel").mkdir()
    (tmp_path / "otel" / "metrics.jsonl").write_bytes(b"".join(lines))
    batch = json.dumps(mallory_metrics()).encode() + b"\n"
    write_bomb(tmp_path / "otel" / "metrics-2026-03-04T23-00-00.000.jsonl.gz", batch, batch, 2**30, batch)

    got = read_in_a_process(tmp_path, file=32 * MIB)

    assert got["success"]
    read = got["read"]["claude_code_telemetry"]
    [named] = read["read/too_large_file_list"]
    assert "metrics-2026-03-04T23-00-00.000.jsonl.gz" in named and "CLAUDE_ASSETS_TELEMETRY_MAX_FILE_BYTES" in named
    assert read["read/megabytes"] < 32 + 1, "the bomb was read to its limit, no further"
    assert read["read/duplicate_lines"] > 10_000, "what the bomb held before the limit was read"
    frame = Lake(str(tmp_path / "lake")).read_day("claude_code_telemetry", DAY).to_pandas()
    assert frame[frame["identity"] == MALLORY]["commits"].sum() == 3, "the same batch, however often, counts once"
    assert frame[frame["identity"] != MALLORY]["output_tokens"].sum() == sum(
        t.output for k, t in truth.identity_totals.items() if k[0] == DAY), "the other file is read whole"
    assert got["peak_mb"] < MEMORY_LIMIT_MB, got["peak_mb"]


@pytest.mark.subprocess
def test_the_spool_stops_at_its_limit_and_says_so(tmp_path, collector):
    """Lines past the spool's limit are not read; the metadata says where it stopped and what to do."""
    lines, _ = collector
    (tmp_path / "otel").mkdir()
    batch = json.dumps(mallory_metrics()).encode() + b"\n"
    write_bomb(tmp_path / "otel" / "metrics.jsonl.gz", b"".join(lines), batch, 64 * MIB, b"")

    got = read_in_a_process(tmp_path, spool=16 * MIB)

    assert got["success"]
    stopped = got["read"]["claude_code_telemetry"]["read/spool_full"]
    assert "metrics.jsonl.gz:" in stopped and "CLAUDE_ASSETS_TELEMETRY_MAX_SPOOL_BYTES" in stopped
    assert "fewer days" in stopped
    frame = Lake(str(tmp_path / "lake")).read_day("claude_code_telemetry", DAY).to_pandas()
    assert frame[frame["identity"] == MALLORY]["commits"].sum() == 3, "what was spooled before the limit lands"
    assert got["peak_mb"] < MEMORY_LIMIT_MB, got["peak_mb"]


@pytest.mark.subprocess
@pytest.mark.slow
@pytest.mark.parametrize("limit", [None, MIB], ids=["default limit", "low limit"])
def test_one_huge_line_is_skipped_and_counted_without_being_held(tmp_path, collector, limit):
    """A line of 512 MiB (32 times the default limit, more than the memory allowed) in a .gz of under a megabyte,
    between real lines: skipped, counted, quoted short; the lines around it land; memory stays bounded. With a
    low limit of 1 MiB, a line of 16 MiB."""
    lines, truth = collector
    (tmp_path / "otel").mkdir()
    middle = len(lines) // 2
    write_bomb(tmp_path / "otel" / "metrics.jsonl.gz", b"".join(lines[:middle]) + b'{"resourceMetrics": [{"x": "',
               b"A", 512 * MIB if limit is None else 16 * MIB, b'"}]}\n' + b"".join(lines[middle:]))

    got = read_in_a_process(tmp_path, **({"line": limit} if limit else {}))

    assert got["success"]
    for asset in ("claude_code_telemetry", "claude_code_events"):
        read = got["read"][asset]
        assert read["read/bad_lines"] == 1, asset
        [example] = read["read/bad_line_examples"]
        assert f"metrics.jsonl.gz:{middle + 1}: a line of" in example and "MAX_LINE_BYTES" in example
        assert len(example) < 400
    lake = Lake(str(tmp_path / "lake"))
    assert lake.read_day("claude_code_telemetry", DAY).to_pandas()["output_tokens"].sum() == sum(
        t.output for k, t in truth.identity_totals.items() if k[0] == DAY), "the lines before and after it count"
    assert lake.read_day("claude_code_events", DAY).to_pandas()["cost_usd_micros"].sum() == sum(
        truth.event_cost_micros.values())
    assert got["peak_mb"] < MEMORY_LIMIT_MB, got["peak_mb"]


@pytest.mark.subprocess
def test_a_fifo_in_the_folder_is_named_and_never_opened(tmp_path, collector):
    """A FIFO (and a symlink to one) would block the read that opens it for good; both are skipped and named."""
    lines, truth = collector
    otel = tmp_path / "otel"
    otel.mkdir()
    (otel / "metrics.jsonl").write_bytes(b"".join(lines))
    os.mkfifo(otel / "metrics-pipe.jsonl")
    os.symlink(otel / "metrics-pipe.jsonl", otel / "metrics-link.jsonl")

    got = read_in_a_process(tmp_path)  # bounded by the process's timeout: a hang fails the test

    assert got["success"]
    for asset in ("claude_code_telemetry", "claude_code_events"):
        skipped = got["read"][asset]["read/skipped_file_list"]
        assert [s.split(": ")[0].rsplit("/", 1)[-1] for s in skipped] == ["metrics-link.jsonl", "metrics-pipe.jsonl"]
        assert all("a FIFO, not a regular file" in s for s in skipped)
    frame = Lake(str(tmp_path / "lake")).read_day("claude_code_telemetry", DAY).to_pandas()
    assert frame["output_tokens"].sum() == sum(t.output for k, t in truth.identity_totals.items() if k[0] == DAY)


def test_a_limit_that_is_not_a_number_of_bytes_says_so(tmp_path, monkeypatch):
    (tmp_path / "otel").mkdir()
    (tmp_path / "otel" / "metrics.jsonl").write_text("{}\n")
    monkeypatch.setenv("CLAUDE_ASSETS_TELEMETRY_MAX_LINE_BYTES", "16M")
    with dg.instance_for_test() as instance:
        result = dg.materialize([claude_code_telemetry], partition_key=DAY.isoformat(), instance=instance,
                                raise_on_error=False,
                                resources={"telemetry": TelemetryResource(base_dir=str(tmp_path / "otel")),
                                           "lake": LakeResource(base_dir=str(tmp_path / "lake"))})
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert not result.success
    assert "CLAUDE_ASSETS_TELEMETRY_MAX_LINE_BYTES='16M': write a number of bytes" in \
        failure.event_specific_data.error.cause.message
