"""A new Dagster instance is set up once, before anything runs on it.

Dagster creates an instance's SQLite storage when a process first opens it. Two processes opening a new
DAGSTER_HOME at the same moment (two first `dg launch`, or the webserver and daemon of `dagster dev`)
both create its tables and stamp its schema version, which can leave it unusable for good
("alembic_version has more than one head"). `claude-assets demo` and `claude-assets ui` call `prepare`
first; the README's walkthrough runs `python -m claude_assets.instance` right after creating DAGSTER_HOME,
which also gives the instance the project's dagster.yaml (`configure`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml
from dagster import DagsterInstance

DEPLOY_YAML = Path(__file__).resolve().parents[1] / "deploy" / "dagster.yaml"
# A run in a terminal prints what the assets say (progress, unavailable days, our failures) and Dagster's
# warnings and errors, not its ~25 DEBUG lines per run; Dagster's events are still all recorded.
QUIET = {"python_logs": {"python_log_level": "INFO"}, "telemetry": {"enabled": False}}


def configure(home: Path, *, in_process: bool = False) -> None:
    """Give a new local instance deploy/dagster.yaml (the run queue, the pools, run monitoring and retention, on
    this folder's SQLite storage, so runs launched at once share the organization's rate budget as in production
    and a run that dies gives its pool's slot back) and quiet runs. `in_process`: only the quiet settings, for the
    demo, whose runs are in-process and need no queue or pools. An instance that has a dagster.yaml keeps it."""
    instance = home / "dagster.yaml"
    if instance.exists():
        return
    home.mkdir(parents=True, exist_ok=True)
    if in_process:
        instance.write_text("# Quiet runs (claude_assets/instance.py).\n" + yaml.safe_dump(QUIET))
        return
    settings = yaml.safe_load(DEPLOY_YAML.read_text()) if DEPLOY_YAML.exists() else {}
    settings = {key: value for key, value in settings.items() if key != "storage"} | QUIET
    instance.write_text("# deploy/dagster.yaml on this folder's SQLite storage, with quiet runs "
                        "(claude_assets/instance.py).\n" + yaml.safe_dump(settings, sort_keys=False))


def prepare(home: Path) -> None:
    """Create `home` and its storage, from this one process; an instance that has them is only opened."""
    home.mkdir(parents=True, exist_ok=True)
    DagsterInstance.from_config(str(home)).dispose()


if __name__ == "__main__":
    if not os.environ.get("DAGSTER_HOME"):
        sys.exit("DAGSTER_HOME is not set: export DAGSTER_HOME=<the instance's folder>, then run this again.")
    configure(Path(os.environ["DAGSTER_HOME"]))
    prepare(Path(os.environ["DAGSTER_HOME"]))
    print(f"Dagster instance ready in {os.environ['DAGSTER_HOME']}")
