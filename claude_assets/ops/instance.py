"""A new Dagster instance is set up once, before anything runs on it.

Dagster creates an instance's SQLite storage when a process first opens it. Two processes opening a new
DAGSTER_HOME at the same moment (two first `dg launch`, or the webserver and daemon of `dagster dev`)
both create its tables and stamp its schema version, which can leave it unusable for good
("alembic_version has more than one head"). `prepare` creates the storage under an exclusive lock on a file
in DAGSTER_HOME, so whichever process comes first creates it and the others wait, then only open it. Every
`claude-assets` command that uses the instance (`launch`, `rebuild`, `status`, `free-run`, `demo`, `ui`)
prepares it first; for plain `dg launch`, `dagster dev` or the daemon, the README's walkthrough runs
`python -m claude_assets.instance` once right after creating DAGSTER_HOME, which also gives the instance the
project's dagster.yaml (`configure`).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sys
from pathlib import Path
from typing import Iterator

import yaml
from dagster import DagsterInstance

DEPLOY_YAML = Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml"
# A run in a terminal prints what the assets say (progress, unavailable days, our failures) and Dagster's
# warnings and errors, not its ~25 DEBUG lines per run; Dagster's events are still all recorded.
QUIET = {"python_logs": {"python_log_level": "INFO"}, "telemetry": {"enabled": False}}
LOCK_FILE = ".claude_assets.lock"


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    """`home`, created, while this process alone holds the lock on its LOCK_FILE (released at exit or death)."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def configure(home: Path, *, in_process: bool = False) -> None:
    """Give a new local instance deploy/dagster.yaml (the run queue, the pools, run monitoring and retention, on
    this folder's SQLite storage, so runs launched at once share the organization's rate budget as in production
    and a run that dies gives its pool's slot back) and quiet runs. `in_process`: only the quiet settings, for the
    demo, whose runs are in-process and need no queue or pools. An instance that has a dagster.yaml keeps it."""
    instance = home / "dagster.yaml"
    if instance.exists():
        return
    with _locked(home):
        if instance.exists():
            return
        if in_process:
            instance.write_text("# Quiet runs (claude_assets/instance.py).\n" + yaml.safe_dump(QUIET))
            return
        settings = yaml.safe_load(DEPLOY_YAML.read_text()) if DEPLOY_YAML.exists() else {}
        settings = {key: value for key, value in settings.items() if key != "storage"} | QUIET
        instance.write_text("# deploy/dagster.yaml on this folder's SQLite storage, with quiet runs "
                            "(claude_assets/instance.py).\n" + yaml.safe_dump(settings, sort_keys=False))


def prepare(home: Path) -> None:
    """Create `home` and its storage, one process at a time; an instance that has them is only opened. Dagster's
    warnings (a DAGSTER_HOME without dagster.yaml) are left to the command that opens it next, said once."""
    dagster_log = logging.getLogger("dagster")
    level = dagster_log.level
    dagster_log.setLevel(logging.ERROR)
    try:
        with _locked(home):
            DagsterInstance.from_config(str(home)).dispose()
    finally:
        dagster_log.setLevel(level)


def prepare_from_env() -> None:
    """`prepare` the instance at DAGSTER_HOME, before a command opens it (without one, Dagster uses a
    temporary instance of its own)."""
    if os.environ.get("DAGSTER_HOME"):
        prepare(Path(os.environ["DAGSTER_HOME"]))


def main() -> None:
    """`python -m claude_assets.instance`: the project's dagster.yaml and storage, once, before anything runs."""
    if not os.environ.get("DAGSTER_HOME"):
        sys.exit("DAGSTER_HOME is not set: export DAGSTER_HOME=<the instance's folder>, then run this again.")
    configure(Path(os.environ["DAGSTER_HOME"]))
    prepare(Path(os.environ["DAGSTER_HOME"]))
    print(f"Dagster instance ready in {os.environ['DAGSTER_HOME']}")
