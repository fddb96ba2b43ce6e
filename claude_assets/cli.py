"""The `claude-assets` command: the emulator, the demo, and (later) operator tools."""

from __future__ import annotations

import argparse
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

    demo = commands.add_parser("demo", help="start the emulator, materialize the last days of every asset, show them")
    demo.add_argument("--days", type=int, default=7, help="how many of the newest available days (default 7)")
    demo.add_argument("--data-dir", default="./data", help="where the lake is written (default ./data)")
    demo.add_argument("--dagster-home", default="./.dagster_home", help="Dagster instance folder (default ./.dagster_home)")
    demo.add_argument("--users", type=int, default=50, help="synthetic organization size (default 50)")
    demo.set_defaults(run=_run_demo)

    args = parser.parse_args(argv)
    return args.run(args)


def _run_demo(args: argparse.Namespace) -> int:
    from claude_assets.demo import run_demo

    return run_demo(days=args.days, data_dir=args.data_dir, dagster_home=args.dagster_home, users=args.users)


if __name__ == "__main__":
    sys.exit(main())
