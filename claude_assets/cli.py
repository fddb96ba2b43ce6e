"""The `claude-assets` command: the emulator, the demo, and the operator's tools (check, backfill, rebuild, status, sql)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys


def main(argv: list[str] | None = None) -> int:
    from claude_assets import __version__
    from claude_assets.emulator import cli as emulator_cli

    parser = argparse.ArgumentParser(prog="claude-assets", description=__doc__)
    parser.add_argument("--version", action="version", version=f"claude-assets {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    emulator = commands.add_parser(
        "emulator", help="serve every synced endpoint for a synthetic organization on loopback"
    )
    emulator_cli.add_arguments(emulator)
    emulator.set_defaults(run=emulator_cli.main)

    telemetry = commands.add_parser(
        "telemetry", help="write the OTLP/JSON lines files the emulated organization's Claude Code clients export"
    )
    emulator_cli.add_telemetry_arguments(telemetry)
    telemetry.set_defaults(run=emulator_cli.telemetry_main)

    demo = commands.add_parser("demo", help="start the emulator, materialize the last days of every asset, show them")
    demo.add_argument("--days", type=int, default=7, help="how many of the newest available days (default 7)")
    _emulated_deployment_arguments(demo, "./demo/data", "./demo/.dagster_home")
    demo.set_defaults(run=_run_demo)

    backfill = commands.add_parser(
        "backfill", help="launch a long backfill through the running Dagster webserver, chunk by chunk"
    )
    _range_arguments(backfill, "backfill")
    backfill.add_argument("--url", default=os.environ.get("DAGSTER_WEBSERVER_URL", "http://127.0.0.1:3000"),
                          help="the Dagster webserver (default $DAGSTER_WEBSERVER_URL or http://127.0.0.1:3000)")
    backfill.add_argument("--chunk-days", type=int, default=92, help="days per backfill (default 92)")
    backfill.set_defaults(run=_run_backfill)

    rebuild = commands.add_parser(
        "rebuild", help="rebuild raw tables from the API's answers kept in the lake, asking the API nothing"
    )
    _range_arguments(rebuild, "rebuild")
    rebuild.set_defaults(run=_run_rebuild)

    ui = commands.add_parser("ui", help="the Dagster UI (dagster dev) against the embedded emulator; Ctrl-C stops both")
    ui.add_argument("--port", type=int, default=3000, help="the UI's port on 127.0.0.1 (default 3000)")
    _emulated_deployment_arguments(ui)
    ui.set_defaults(run=_run_ui)

    check = commands.add_parser(
        "check", help="ask each API one small question per organization and key: does it answer, what may it read"
    )
    check.add_argument("--org", action="append", dest="orgs",
                       help="organization of CLAUDE_ASSETS_ORGANIZATIONS to check (repeatable; default: all)")
    check.set_defaults(run=_run_check)

    launch = commands.add_parser(
        "launch", prefix_chars="+", add_help=False,
        help="dg launch on this code location (--assets, --partition or --partition-range, ...), after checking "
        "the days against each asset's calendar",
    )
    launch.add_argument("options", nargs=argparse.REMAINDER, help="dg launch's options, passed on as they are")
    launch.set_defaults(run=_run_launch)

    status = commands.add_parser(
        "status", help="newest day, day due, missing days, freshness and last failure of every asset (needs DAGSTER_HOME)"
    )
    status.set_defaults(run=_run_status)

    free_run = commands.add_parser(
        "free-run", help="fail a stuck run whose process is gone and free its pool slots (`status` lists them)"
    )
    free_run.add_argument("run_id", help="the run's id, as `status` prints it")
    free_run.set_defaults(run=_run_free)

    sql = commands.add_parser(
        "sql", help="query the lake with DuckDB: a view per asset, a shell, -c for one statement, --export for BI tools"
    )
    sql.add_argument("-c", "--command", help="run this SQL and print the result (default: read statements from stdin)")
    sql.add_argument("--export", metavar="FILE.duckdb", help="write the views into this DuckDB database file for BI tools")
    sql.add_argument("--org", action="append", dest="orgs",
                     help="organization of CLAUDE_ASSETS_ORGANIZATIONS (repeatable; default: all, a schema each)")
    sql.set_defaults(run=_run_sql)

    args = parser.parse_args(argv)
    return args.run(args)


def _range_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """What `backfill` and `rebuild` share: the days, the raw assets and the organizations."""
    parser.add_argument("--from", dest="start", required=True, type=dt.date.fromisoformat, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", required=True, type=dt.date.fromisoformat, help="last day, YYYY-MM-DD")
    parser.add_argument("--select", help="comma-separated raw assets (default: every raw asset)")
    parser.add_argument("--org", action="append", dest="orgs",
                        help=f"organization of CLAUDE_ASSETS_ORGANIZATIONS to {verb} (repeatable; default: all)")


def _selected(args: argparse.Namespace) -> list[str] | None:
    return [name.strip() for name in args.select.split(",") if name.strip()] if args.select else None


def _emulated_deployment_arguments(parser: argparse.ArgumentParser, data_dir: str = "./data",
                                   dagster_home: str = "./.dagster_home") -> None:
    """What `demo` and `ui` share: where the lake and the Dagster instance live, and the org's size."""
    parser.add_argument("--data-dir", default=data_dir, help=f"where the lake is written (default {data_dir})")
    parser.add_argument("--dagster-home", default=dagster_home, help=f"Dagster instance folder (default {dagster_home})")
    parser.add_argument("--users", type=int, default=50, help="synthetic organization size (default 50)")


def _run_backfill(args: argparse.Namespace) -> int:
    from claude_assets.engine.organizations import OrganizationsConfigError, named
    from claude_assets.ops.backfill import BackfillError, run_backfill

    try:
        return run_backfill(start=args.start, end=args.end, select=_selected(args), orgs=named(args.orgs), url=args.url,
                            chunk_days=args.chunk_days)
    except (BackfillError, OrganizationsConfigError) as exc:
        print(f"claude-assets backfill: {exc}", file=sys.stderr)
        return 2


def _run_rebuild(args: argparse.Namespace) -> int:
    """Rebuilding reads the lake, not the API, so only the calendar bounds the range, not the history window."""
    from claude_assets.engine.organizations import OrganizationsConfigError, named
    from claude_assets.ops.backfill import BackfillError, fitted
    from claude_assets.ops.rebuild import RebuildError, run_rebuild

    try:
        fit = fitted(args.start, args.end, _selected(args), served=False)
        if fit.outside:
            raise RebuildError("\n".join(fit.notes))
        for note in fit.notes:
            print(note)
        return run_rebuild(args.start, args.end, _selected(args), named(args.orgs))
    except (BackfillError, RebuildError, OrganizationsConfigError) as exc:
        print(f"claude-assets rebuild: {exc}", file=sys.stderr)
        return 2


def _run_launch(args: argparse.Namespace) -> int:
    from claude_assets.ops.launch import main as launch

    return launch(args.options)


def _run_check(args: argparse.Namespace) -> int:
    from claude_assets.engine.organizations import OrganizationsConfigError, named
    from claude_assets.ops.check import run_check

    try:
        return run_check(named(args.orgs))
    except OrganizationsConfigError as exc:
        print(f"claude-assets check: {exc}", file=sys.stderr)
        return 2


def _run_status(args: argparse.Namespace) -> int:
    from claude_assets.ops.status import run_status

    return run_status()


def _run_free(args: argparse.Namespace) -> int:
    from claude_assets.ops.status import run_free

    return run_free(args.run_id)


def _run_sql(args: argparse.Namespace) -> int:
    from claude_assets.engine.organizations import OrganizationsConfigError, named
    from claude_assets.ops.sql import SqlError, run_sql

    try:
        return run_sql(named(args.orgs), command=args.command, export=args.export)
    except (SqlError, OrganizationsConfigError) as exc:
        print(f"claude-assets sql: {exc}", file=sys.stderr)
        return 2


def _run_ui(args: argparse.Namespace) -> int:
    from claude_assets.ops.ui import run_ui

    return run_ui(port=args.port, data_dir=args.data_dir, dagster_home=args.dagster_home, users=args.users)


def _run_demo(args: argparse.Namespace) -> int:
    from claude_assets.ops.demo import run_demo

    return run_demo(days=args.days, data_dir=args.data_dir, dagster_home=args.dagster_home, users=args.users)


if __name__ == "__main__":
    sys.exit(main())
