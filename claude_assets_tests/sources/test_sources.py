"""A new engineer's map: every API family is one `Source`, the rooms hold what the README says they hold,
and Dagster's own `dg` reads the project from the clone."""

from __future__ import annotations

import ast
import json
import re
import subprocess

import dagster as dg
import pytest

from claude_assets import sources
from claude_assets.engine.client import KeyKind
from claude_assets.engine.source import Probe, Source
from claude_assets_tests.stack import BIN, REPO

PACKAGE = REPO / "claude_assets"
ROOMS = ("sources", "engine", "defs", "ops")


@pytest.mark.parametrize("source", sources.SOURCES, ids=lambda s: s.group)
def test_every_source_declares_every_field(source: Source):
    assert re.fullmatch(r"[a-z][a-z_]*", source.group) and source.description
    assert dg.ScheduleDefinition(name="probe", cron_schedule=source.cron, target="*").cron_schedule == source.cron
    warn, fail = source.freshness_hours
    assert 0 < warn < fail, "warn before fail"
    assert source.tables and len(set(source.assets)) == len(source.assets)
    if source.derived:
        assert not source.endpoints and not source.key_kinds and source.probe is None
    elif source.endpoints:  # an API: its keys, a probe among its endpoints, one calendar for all of them
        assert source.key_kinds and set(source.key_kinds) <= set(KeyKind)
        assert isinstance(source.probe, Probe) and source.probe.endpoint in {e.name for e in sources.ENDPOINTS}
        assert {e.calendar for e in source.endpoints} == {source.calendar}
        assert {e.key_kind for e in source.endpoints} <= {*source.key_kinds, None}
    else:  # files on disk: no key to check
        assert source.group == "telemetry" and source.probe is None and not source.key_kinds
    if source.provisional:  # re-fetched daily while its days may still change: an API's, settling after a day or more
        assert source.endpoints and source.calendar.settles_after.days >= 1


def test_each_asset_group_comes_from_exactly_one_source():
    from claude_assets.definitions import defs

    groups = [source.group for source in sources.SOURCES]
    assert len(groups) == len(set(groups))
    owner = {asset: source for source in sources.SOURCES for asset in source.assets}
    assert len(owner) == sum(len(source.assets) for source in sources.SOURCES), "an asset in two sources"
    specs = list(defs.resolve_all_asset_specs())
    assert {spec.key.to_user_string() for spec in specs} == set(owner)
    for spec in specs:
        source = owner[spec.key.to_user_string()]
        assert spec.group_name == source.group
        assert sources.calendar_of(spec) is source.calendar_of(spec.key.to_user_string())


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_engine_knows_no_catalogue_and_sources_no_wiring():
    """engine/ lands a day for any endpoint it is given; sources/ is data the wiring reads, never the reverse."""
    for path in (PACKAGE / "engine").rglob("*.py"):
        wrong = {m for m in _imports(path) if m.startswith(("claude_assets.sources", "claude_assets.defs",
                                                             "claude_assets.ops", "claude_assets.definitions"))}
        assert not wrong, f"{path.relative_to(REPO)} imports {wrong}"
    for path in (PACKAGE / "sources").rglob("*.py"):
        wrong = {m for m in _imports(path) if m.startswith(("claude_assets.defs", "claude_assets.ops"))}
        assert not wrong, f"{path.relative_to(REPO)} imports {wrong}"


def test_nothing_outside_a_source_names_a_group():
    """A group name in code outside sources/ is a dictionary keyed by it waiting to drift."""
    names = {source.group for source in sources.SOURCES} - {"telemetry", "organization"}  # also ordinary words
    for room in ("engine", "defs", "ops"):
        for path in (PACKAGE / room).rglob("*.py"):
            text = path.read_text()
            said = {name for name in names if re.search(rf"[\"']{name}[\"']", text)}
            assert not said, f"{path.relative_to(REPO)} names {said}"


def test_the_readme_map_matches_the_modules_on_disk():
    readme = (REPO / "README.md").read_text()
    block = readme[readme.index("```\nclaude_assets/\n"):]
    block = block[:block.index("\n```")]
    named, room = set(), ""
    for line in block.splitlines()[2:]:  # after ``` and claude_assets/
        if not line.startswith("  "):
            break  # the folders beside the package
        head = re.split(r"\s{2,}", line.strip())[0]
        paths = re.findall(r"[a-z_]+(?:/[a-z_]+)*(?:\.py|/)", head)
        if not line.startswith("    "):
            room = next((p for p in paths if p.endswith("/")), room)
            named |= set(paths)
        else:
            named |= {room + p for p in paths}
    on_disk = {str(p.relative_to(PACKAGE)) for room in ROOMS for p in (PACKAGE / room).glob("*.py")
               if p.name != "__init__.py" or room == "sources"}
    on_disk |= {f"{room}/{p.name}/" for room in ROOMS for p in (PACKAGE / room).iterdir()
                if p.is_dir() and p.name != "__pycache__" and not (room == "defs" and p.name == "assets")}
    on_disk |= {f"defs/assets/{p.name}" for p in (PACKAGE / "defs" / "assets").glob("*.py") if p.name != "__init__.py"}
    on_disk |= {"defs/assets/queries/"}
    on_disk |= {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    on_disk |= {f"{room}/" for room in (*ROOMS, "emulator")}
    assert on_disk <= named, f"on disk but not in the README's map: {sorted(on_disk - named)}"
    missing = {path for path in named if not (PACKAGE / path).exists()}
    assert not missing, f"in the README's map but not on disk: {sorted(missing)}"


@pytest.mark.subprocess
def test_dg_lists_and_checks_the_definitions_from_the_clone():
    listed = subprocess.run([str(BIN / "dg"), "list", "defs", "--json"], cwd=REPO, capture_output=True, text=True,
                            timeout=180)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assets = json.loads(listed.stdout)["assets"]
    assert {a["asset_key"] for a in assets} == {a for s in sources.SOURCES for a in s.assets}
    assert len(assets) == 21
    checked = subprocess.run([str(BIN / "dg"), "check", "defs"], cwd=REPO, capture_output=True, text=True,
                             timeout=180)
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    assert "All definitions loaded successfully" in checked.stdout + checked.stderr
