"""A new Dagster instance is set up once, before anything runs on it.

Dagster creates an instance's SQLite storage when a process first opens it. Two processes opening a new
DAGSTER_HOME at the same moment (two first `dagster asset materialize`, or the webserver and daemon of
`dagster dev`) both create its tables and stamp its schema version, which can leave it unusable for good
("alembic_version has more than one head"). `claude-assets demo` and `claude-assets ui` call `prepare`
first; the README's walkthrough runs `python -m claude_assets.instance` right after creating DAGSTER_HOME.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster import DagsterInstance


def prepare(home: Path) -> None:
    """Create `home` and its storage, from this one process; an instance that has them is only opened."""
    home.mkdir(parents=True, exist_ok=True)
    DagsterInstance.from_config(str(home)).dispose()


if __name__ == "__main__":
    if not os.environ.get("DAGSTER_HOME"):
        sys.exit("DAGSTER_HOME is not set: export DAGSTER_HOME=<the instance's folder>, then run this again.")
    prepare(Path(os.environ["DAGSTER_HOME"]))
    print(f"Dagster instance ready in {os.environ['DAGSTER_HOME']}")
