"""An operator checks the keys before the first sync: `claude-assets check`, and the same job in the UI.

Each story runs the check over real HTTP against the emulator: one line per API, what the key may
read, the newest day, the rate budget; a bad key fails with the numbered steps to fix it, and no
key is ever printed.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess

import httpx
import pytest

from claude_assets.cli import main
from claude_assets.definitions import build_definitions
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.calendars import utc_today
from claude_assets.engine.connection import Credential, _budget
from claude_assets.engine.organizations import parse
from claude_assets_tests.helpers import failure, two_organizations
from claude_assets_tests.stack import BIN

APIS = ("Claude Code Analytics", "Claude Enterprise Analytics", "Usage and Cost Analytics",
        "Admin Usage & Cost (legacy)")
ADMIN_STEPS = "1. It is an Admin key (it starts with sk-ant-admin01-)"
ANALYTICS_STEPS = "1. API access is on"


@pytest.fixture
def emu():
    with Emulator(EmulatorConfig(seed=5, users=12)) as emu:
        yield emu


def environment(emu: Emulator, **changes: str | None) -> dict[str, str]:
    """The operator's shell: the emulator's address and keys, no other setting of this project."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_ASSETS_"))}
    env.update(ANTHROPIC_BASE_URL=emu.url, ANTHROPIC_ADMIN_API_KEY=emu.admin_key,
               ANTHROPIC_ANALYTICS_API_KEY=emu.analytics_key)
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def check(emu: Emulator, monkeypatch, capsys, **changes: str | None) -> tuple[int, dict[str, str], str]:
    """`claude-assets check` in this process: (exit status, {API: its line}, everything printed)."""
    for name in [n for n in os.environ if n.startswith(("ANTHROPIC_", "CLAUDE_ASSETS_"))]:
        monkeypatch.delenv(name)
    for name, value in environment(emu, **changes).items():
        monkeypatch.setenv(name, value)
    status = main(["check"])
    out = capsys.readouterr().out
    return status, lines_by_api(out), out


def lines_by_api(out: str) -> dict[str, str]:
    return {api: line for line in out.splitlines() for api in APIS if f"  {api}  " in line}


def never_shows_a_key(emu: Emulator, out: str) -> None:
    for key in (emu.admin_key, emu.analytics_key, emu.scopeless_key, "sk-ant-admin01-revoked", "sk-ant-revoked"):
        assert key not in out


@pytest.mark.subprocess
def test_the_check_passes_against_the_emulator_with_one_line_per_api():
    with Emulator(EmulatorConfig(seed=5, users=12)) as emu:
        todays = {utc_today()}  # and after the check: the check and the emulator read the clock in between
        done = subprocess.run([str(BIN / "claude-assets"), "check"], env=environment(emu), capture_output=True,
                              text=True, timeout=120)
        todays.add(utc_today())
        sent = emu.stats.snapshot()["total"]
    assert done.returncode == 0, done.stdout + done.stderr
    lines = lines_by_api(done.stdout)
    assert sorted(lines) == sorted(APIS) and all(line.startswith("OK") for line in lines.values())
    assert "Claude Console organization" in lines["Claude Code Analytics"]
    assert any(f"newest day {today - dt.timedelta(days=1)}: has data" in lines["Claude Code Analytics"]
               for today in todays), lines["Claude Code Analytics"]
    enterprise = lines["Claude Enterprise Analytics"]
    assert "scope read:analytics, Access toggle on" in enterprise and "Claude Enterprise organization" in enterprise
    assert "users, summaries, apps/chat/projects, skills, connectors" in enterprise
    assert any(f"newest day {today - dt.timedelta(days=3)}" in enterprise for today in todays), "the day the API named"
    assert "of 12 seats" in enterprise
    usage = lines["Usage and Cost Analytics"]
    assert "the Analytics key is accepted" in usage and "organization org_" in usage and "reads usage, cost" in usage
    assert all("rate budget" in line for line in lines.values())
    assert "Every check passed (5 requests sent)" in done.stdout
    assert sent == 5, "a handful of requests: one per API, and one more for the day the Enterprise API named"
    never_shows_a_key(emu, done.stdout + done.stderr)


BAD_KEYS = {
    # story: (variable changed, its new value (a name: the emulator's key of that name), failing APIs, the steps)
    "a revoked Admin key": ("ANTHROPIC_ADMIN_API_KEY", "sk-ant-admin01-revoked",
                            {"Claude Code Analytics": "rejected (HTTP 401)",
                             "Admin Usage & Cost (legacy)": "rejected (HTTP 401)"}, ADMIN_STEPS),
    "a revoked Analytics key": ("ANTHROPIC_ANALYTICS_API_KEY", "sk-ant-revoked",
                                {"Claude Enterprise Analytics": "rejected (HTTP 404), or Access is off",
                                 "Usage and Cost Analytics": "rejected (HTTP 401)"}, ANALYTICS_STEPS),
    "a key without read:analytics": ("ANTHROPIC_ANALYTICS_API_KEY", "scopeless_key",
                                     {"Claude Enterprise Analytics": "lacks the scope this API needs (HTTP 403)",
                                      "Usage and Cost Analytics": "lacks the scope this API needs (HTTP 403)"},
                                     "lacks the scope read:analytics (it has: no scopes)"),
    "the Admin key in the Analytics variable": ("ANTHROPIC_ANALYTICS_API_KEY", "admin_key",
                                                {"Claude Enterprise Analytics": "wrong kind of key (not sent)",
                                                 "Usage and Cost Analytics": "wrong kind of key (not sent)"},
                                                "so it is an Admin key"),
}


@pytest.mark.parametrize("story", BAD_KEYS)
def test_each_bad_key_fails_its_apis_with_the_steps_to_fix_it(emu, monkeypatch, capsys, story):
    variable, value, failing, steps = BAD_KEYS[story]
    status, lines, out = check(emu, monkeypatch, capsys, **{variable: getattr(emu, value, value)})
    assert status == 1
    for api, line in lines.items():
        if api in failing:
            assert line.startswith("FAIL") and failing[api] in line, line
        else:
            assert line.startswith("OK"), f"the other key still works: {line}"
    advice = out.split("What to do:")[1]
    assert f"{len(failing)} of 4 checks failed" in out and steps in advice and variable in advice
    never_shows_a_key(emu, out)


def test_access_switched_off_fails_the_analytics_key_with_the_toggle_first(emu, monkeypatch, capsys):
    emu.faults.set_analytics_access(False)
    status, lines, out = check(emu, monkeypatch, capsys)
    assert status == 1
    assert lines["Claude Enterprise Analytics"].startswith("FAIL") and lines["Claude Code Analytics"].startswith("OK")
    assert "Analytics API access is turned off" in out and "turns the Access toggle on" in out


def test_a_console_organization_with_only_an_admin_key_passes(emu, monkeypatch, capsys):
    status, lines, out = check(emu, monkeypatch, capsys, ANTHROPIC_ANALYTICS_API_KEY=None)
    assert status == 0, out
    assert lines["Claude Enterprise Analytics"].startswith("SKIP") and "not set" in lines["Claude Enterprise Analytics"]
    assert "the Admin key is accepted (a Claude Console organization)" in lines["Usage and Cost Analytics"]
    assert emu.stats.snapshot()["by_key_kind"] == {"admin": 3}


def test_legacy_endpoints_turned_off_are_not_asked(emu, monkeypatch, capsys):
    status, lines, _ = check(emu, monkeypatch, capsys, CLAUDE_ASSETS_LEGACY_USAGE_COST="off")
    assert status == 0 and lines["Admin Usage & Cost (legacy)"].startswith("SKIP")
    assert "/v1/organizations/cost_report" not in emu.stats.snapshot()["by_path"]


def test_no_key_at_all_fails(emu, monkeypatch, capsys):
    status, _, out = check(emu, monkeypatch, capsys, ANTHROPIC_ADMIN_API_KEY=None, ANTHROPIC_ANALYTICS_API_KEY=None)
    assert status == 1 and "Neither ANTHROPIC_ADMIN_API_KEY nor ANTHROPIC_ANALYTICS_API_KEY is set" in out
    assert emu.stats.snapshot()["total"] == 0


def test_a_closed_port_fails_in_one_attempt_naming_ANTHROPIC_BASE_URL(emu, monkeypatch, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, lines, out = check(emu, monkeypatch, capsys, ANTHROPIC_BASE_URL=f"http://127.0.0.1:{port}")
    assert status == 1 and all(line.startswith("FAIL  default") for line in lines.values())
    assert "(1 request sent)" in out, "the dead host is asked once, not once per API"
    assert f"nothing accepts connections at 127.0.0.1:{port}, the host and port of ANTHROPIC_BASE_URL" in out


def test_the_rate_budget_is_read_from_the_headers_when_the_api_sends_them():
    credential = Credential("unused", "ANTHROPIC_ADMIN_API_KEY", "https://api.anthropic.com", 60)
    sent = httpx.Headers({"anthropic-ratelimit-requests-limit": "60", "anthropic-ratelimit-requests-remaining": "57",
                          "anthropic-ratelimit-requests-reset": "2026-03-02T10:00:30Z"})
    assert _budget(sent, credential) == "rate budget 57 of 60 requests left, resets 2026-03-02T10:00:30Z"
    assert _budget(httpx.Headers(), credential) == "rate budget: not in the answer's headers, paced here at 60/min"


def test_the_ui_job_checks_every_organization_and_fails_naming_the_variable_to_fix(tmp_path, monkeypatch):
    with Emulator(EmulatorConfig(seed=1, users=6)) as acme, Emulator(EmulatorConfig(seed=2, users=9)) as globex:
        monkeypatch.setenv("ACME_ANTHROPIC_ADMIN_API_KEY", acme.admin_key)
        monkeypatch.setenv("ACME_ANTHROPIC_ANALYTICS_API_KEY", acme.analytics_key)
        monkeypatch.setenv("GLOBEX_ADMIN_KEY", globex.admin_key)
        monkeypatch.setenv("GLOBEX_ANALYTICS_KEY", globex.analytics_key)
        orgs = parse(two_organizations(acme, globex, tmp_path))

        passed = build_definitions(orgs).resolve_job_def("connection_check").execute_in_process(raise_on_error=False)
        assert passed.success
        output = next(e for e in passed.all_events if e.event_type_value == "STEP_OUTPUT")
        shown = output.event_specific_data.metadata["report"].value  # the table, on the run's page
        for org in ("acme", "globex"):
            assert sum(line.startswith(f"OK    {org}  ") for line in shown.splitlines()) == 4

        monkeypatch.setenv("GLOBEX_ANALYTICS_KEY", acme.analytics_key)  # pasted into the wrong organization
        failed = build_definitions(orgs).resolve_job_def("connection_check").execute_in_process(raise_on_error=False)
    assert not failed.success
    message = failure(failed)
    assert "globex / Claude Enterprise Analytics (GLOBEX_ANALYTICS_KEY)" in message
    assert "rejected the key in GLOBEX_ANALYTICS_KEY" in message and ANALYTICS_STEPS in message
    assert "acme / " not in message.split("What to do:")[1], "acme's keys are fine"
    assert acme.analytics_key not in message and globex.analytics_key not in message
