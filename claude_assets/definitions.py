"""The `claude_assets` code location: `dagster dev -m claude_assets.definitions` or workspace.yaml."""

import dagster as dg

from claude_assets.assets.raw import raw_assets
from claude_assets.resources import resources_from_env

defs = dg.Definitions(assets=raw_assets, resources=resources_from_env())
