"""Command line: run the emulator in the foreground until SIGINT/SIGTERM, or write the
synthetic organization's Claude Code telemetry files (`telemetry_main`).

The server prints the address and keys first, as `export NAME=value` lines a shell can paste or
`eval`; with `--telemetry-dir` it writes the telemetry before serving and reports it on the fifth line.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import date, datetime, timedelta

from .config import CLAUDE_CODE_AMOUNTS, RETRY_AFTER_STYLES, USAGE_COST_AMOUNTS, EmulatorConfig
from .faults import FAIL_STATUSES
from .org import SyntheticOrg
from .server import Emulator
from .telemetry import EVENTS, TEMPORALITIES, TelemetryTruth, write_telemetry

EVENT_CHOICES = ("none", *EVENTS)  # --events: "none" is write_telemetry's events=None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free port)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic organization")
    parser.add_argument("--users", type=int, default=50, help="number of members")
    parser.add_argument("--rate-limit", type=int, default=60,
                        help="Enterprise Analytics requests per minute per organization (0 = off)")
    parser.add_argument("--admin-rate-limit", type=int, default=None,
                        help="Admin API requests per minute (default: same as --rate-limit; 0 = off)")
    parser.add_argument("--lag-days", type=int, default=3, help="engagement data lag: newest day = today - N")
    parser.add_argument("--admin-key", default=None, help="Admin key to accept (default: derived from the seed)")
    parser.add_argument("--analytics-key", default=None, help="Analytics key to accept (default: derived from the seed)")
    parser.add_argument("--scopeless-key", default=None,
                        help="a valid key with no scopes: 403 on Enterprise paths, 401 on Admin paths "
                             "(default: derived from the seed; not printed)")
    parser.add_argument("--now", default=None, help="freeze the clock at this ISO datetime (e.g. 2026-03-10T12:00:00Z)")
    parser.add_argument("--access-off", action="store_true", help="Analytics API access toggle off (every call 404)")
    parser.add_argument("--cursor-ttl", type=float, default=600, help="seconds before a page cursor expires (410)")
    parser.add_argument("--retry-after", choices=RETRY_AFTER_STYLES, default="seconds",
                        help="retry-after on 429: whole seconds (default), the HTTP date the budget refills, "
                             "or none; Admin 429s also carry an anthropic-ratelimit-requests-reset in the past")
    parser.add_argument("--no-retry-after", dest="retry_after", action="store_const", const="none",
                        help="same as --retry-after none")
    parser.add_argument("--null-metric-blocks", action=argparse.BooleanOptionalAction, default=True,
                        help="/users sends about half of the blocks of unused products as null (default on)")
    parser.add_argument("--claude-code-amounts", choices=CLAUDE_CODE_AMOUNTS, default="number",
                        help="JSON type of the Claude Code report's estimated_cost.amount (default number)")
    parser.add_argument("--usage-cost-amounts", choices=USAGE_COST_AMOUNTS, default="string",
                        help="JSON type of the Usage and Cost Analytics API's amount and list_amount "
                             "(default string: decimal cents)")
    parser.add_argument("--error-rate", type=float, default=0.0, help="fraction of API requests that fail (0-1)")
    parser.add_argument("--error-status", type=int, default=500, choices=FAIL_STATUSES,
                        help="status of --error-rate failures")
    parser.add_argument("--telemetry-dir", default=None,
                        help="before serving, write the Claude Code telemetry of the history up to yesterday here")


def add_telemetry_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="directory for metrics.jsonl (must hold no metrics files yet)")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, default=None,
                        help="first UTC day, YYYY-MM-DD (default: start of the history)")
    parser.add_argument("--to", dest="end", type=date.fromisoformat, default=None,
                        help="last UTC day, YYYY-MM-DD (default: yesterday)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic organization (as for the server)")
    parser.add_argument("--users", type=int, default=50, help="number of members (as for the server)")
    parser.add_argument("--now", default=None,
                        help="the server's --now, if it has one: it places the history (ISO datetime with zone)")
    parser.add_argument("--temporality", choices=sorted(TEMPORALITIES), default="delta",
                        help="aggregation temporality (default delta, as Claude Code)")
    parser.add_argument("--undercount", type=float, default=0.03,
                        help="share of export batches lost before the collector (default 0.03; 0 = exact)")
    parser.add_argument("--max-megabytes", type=float, default=100, help="rotate metrics.jsonl past this size")
    parser.add_argument("--gzip-rotated", action="store_true", help="gzip rotated files (.jsonl.gz)")
    parser.add_argument("--realistic", action=argparse.BooleanOptionalAction, default=True,
                        help="clients as real deployments have them (the default): unit \"\" on counts, per-series "
                             "delta start times, clients with account ids but no e-mail, API-key clients (user.id "
                             "only, some with enduser.id), agents_view launches, and in cumulative mode processes "
                             "idle over a weekend; --no-realistic: every client signed in and sending its e-mail")
    parser.add_argument("--events", choices=EVENT_CHOICES, default="same",
                        help="Claude Code's events (OTLP logs): into the metrics file, as when the metrics and logs "
                             "pipelines share one file exporter (same, the default), into events.jsonl (separate), "
                             "or not at all (none)")
    parser.add_argument("--collector-restart", default=None,
                        help="ISO datetime with zone within the days written: the Collector (then without "
                             "rotation) restarts and truncates its files")


def _parse_now(text: str | None, option: str = "--now") -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise SystemExit(f"{option} needs a time zone, e.g. 2026-03-10T12:00:00Z")
    return moment


def main(args: argparse.Namespace) -> int:
    config = EmulatorConfig(
        seed=args.seed, users=args.users, rate_limit_per_minute=args.rate_limit,
        admin_rate_limit_per_minute=args.admin_rate_limit, lag_days=args.lag_days,
        admin_key=args.admin_key, analytics_key=args.analytics_key, scopeless_key=args.scopeless_key,
        now=_parse_now(args.now), analytics_access=not args.access_off, cursor_ttl_seconds=args.cursor_ttl,
        retry_after=args.retry_after, null_metric_blocks=args.null_metric_blocks,
        claude_code_amounts=args.claude_code_amounts, usage_cost_amounts=args.usage_cost_amounts,
    )
    emu = Emulator(config, host=args.host, port=args.port)
    truth = None
    if args.telemetry_dir:
        yesterday = emu.clock.now().date() - timedelta(days=1)
        truth = _write(emu.org, args.telemetry_dir, emu.org.history_start, yesterday)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with emu:
            if args.error_rate:
                emu.faults.error_rate(args.error_rate, args.error_status)
            print(f"claude-assets emulator listening on {emu.url}")
            print(f"export ANTHROPIC_BASE_URL={emu.url}")
            print(f"export ANTHROPIC_ADMIN_API_KEY={emu.admin_key}")
            print(f"export ANTHROPIC_ANALYTICS_API_KEY={emu.analytics_key}", flush=True)
            if truth is not None:
                print(_summary(args.telemetry_dir, truth), flush=True)
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def telemetry_main(args: argparse.Namespace) -> int:
    """Write the telemetry of the organization a server with the same --seed/--users/--now serves
    (the org is built by an unstarted Emulator, so both place the history identically)."""
    emu = Emulator(EmulatorConfig(seed=args.seed, users=args.users, now=_parse_now(args.now)))
    end = args.end or emu.clock.now().date() - timedelta(days=1)
    truth = _write(emu.org, args.out, args.start or emu.org.history_start, end, temporality=args.temporality,
                   undercount=args.undercount, max_megabytes=args.max_megabytes, gzip_rotated=args.gzip_rotated,
                   realistic=args.realistic, events=None if args.events == "none" else args.events,
                   collector_restart=_parse_now(args.collector_restart, "--collector-restart"))
    print(_summary(args.out, truth))
    return 0


def _write(org: SyntheticOrg, out: str, start: date, end: date, **options) -> TelemetryTruth:
    try:
        return write_telemetry(org, out, start, end, **options)
    except (FileExistsError, ValueError) as exc:
        raise SystemExit(f"telemetry: {exc}") from None


def _summary(out: str, truth: TelemetryTruth) -> str:
    files = len(truth.files) + len(truth.event_files)
    text = (f"telemetry ({truth.temporality}) written to {out}: {files} file(s), {truth.lines} lines, "
            f"{truth.points} points, {truth.dropped_batches} batches dropped")
    if truth.events:
        text += f", {truth.log_records} events in {truth.log_lines} log lines"
    if truth.collector_restart:
        text += f", {truth.lost_lines + truth.lost_log_lines} lines erased by the Collector restart"
    return text


def run(argv: list[str] | None = None) -> int:
    """`python -m claude_assets.emulator [options]` serves; `... telemetry [options]` writes telemetry."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["telemetry"]:
        parser = argparse.ArgumentParser(prog="python -m claude_assets.emulator telemetry",
                                         description="Write the synthetic organization's Claude Code telemetry.")
        add_telemetry_arguments(parser)
        return telemetry_main(parser.parse_args(argv[1:]))
    parser = argparse.ArgumentParser(prog="python -m claude_assets.emulator",
                                     description="Run the local Anthropic analytics API emulator.")
    add_arguments(parser)
    return main(parser.parse_args(argv))
