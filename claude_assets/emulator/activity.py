"""What one user does on one day: the single source every endpoint's numbers come from.

`presence()` decides, from eight hashed uniforms, whether the user is active and which
products they touch; it is cheap so that WAU/MAU windows can scan many days. `user_day()`
draws the full metrics for an active user from a stream seeded by (seed, user, day), so a
user-day is the same no matter which endpoint asks first or how many other days exist.
Metric blocks are tuples in the order of the `*_FIELDS` names (compact in the day cache).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
import random

from . import catalog
from .people import Project, User

PRODUCT_USE = (  # product, chance of using it on an active day (one uniform each)
    ("chat", 0.8), ("claude_code", 0.85), ("cowork", 0.5), ("office_agent", 0.4),
    ("claude_design", 0.4), ("claude_in_chrome", 0.3), ("science", 0.5),
)
SURFACES = ("chat", "claude_code", "cowork", *catalog.OFFICE_APPS)
TOOL_KEYS = ("edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool")
CHAT_FIELDS = (
    "distinct_conversation_count", "message_count", "distinct_projects_created_count",
    "distinct_projects_used_count", "distinct_files_uploaded_count", "distinct_artifacts_created_count",
    "distinct_shared_artifacts_viewed_count", "thinking_message_count", "distinct_skills_used_count",
    "connectors_used_count", "distinct_connectors_used_count", "shared_conversations_viewed_count",
)
COWORK_FIELDS = (
    "distinct_session_count", "message_count", "action_count", "dispatch_turn_count",
    "skills_used_count", "distinct_skills_used_count", "connectors_used_count",
    "distinct_connectors_used_count", "artifacts_created_count", "plugins_used_count",
    "distinct_plugins_used_count", "edit_tool_count", "multi_edit_tool_count", "write_tool_count",
    "notebook_edit_tool_count", "file_edit_count", "sessions_with_file_edits_count",
)
OFFICE_FIELDS = (
    "distinct_session_count", "message_count", "skills_used_count", "distinct_skills_used_count",
    "connectors_used_count", "distinct_connectors_used_count",
)
DESIGN_FIELDS = ("distinct_projects_created_count", "distinct_projects_used_count", "distinct_session_count", "message_count")
SCIENCE_FIELDS = ("delegation_count", "distinct_session_count", "message_count", "remote_compute_job_count", "skills_used_count")


@dataclass(slots=True)
class ModelUse:
    """Tokens one Claude Code row spent on one model (cache creation kept split by TTL)."""

    model: str
    input: int
    output: int
    cache_read: int
    cache_5m: int
    cache_1h: int
    requests: int
    web_search: int
    context_window: str
    speed: str
    inference_geo: str


@dataclass(slots=True)
class CodeRecord:
    """One Claude Code report row: a user's activity in one terminal on one day."""

    terminal: str
    is_remote: bool
    sessions: int
    lines_added: int
    lines_removed: int
    commits: int
    pull_requests: int
    tools: tuple[tuple[int, int], ...]  # (accepted, rejected) in TOOL_KEYS order
    models: tuple[ModelUse, ...]


@dataclass(slots=True)
class Usage:
    """Enterprise-billed token usage of one user for one product/model/dimension combination."""

    product: str
    model: str
    context_window: str
    inference_geo: str
    speed: str
    uncached: int
    cache_5m: int
    cache_1h: int
    cache_read: int
    output: int
    web_search: int
    requests: int


@dataclass(slots=True)
class UserDay:
    user: User
    day: date
    products: frozenset[str]
    code: tuple[CodeRecord, ...]
    chat: tuple[int, ...]
    cowork: tuple[int, ...]
    office: dict[str, tuple[int, ...]]
    design: tuple[int, ...]
    science: tuple[int, ...]
    web_search_count: int
    usage: tuple[Usage, ...]
    skill_uses: tuple[tuple[int, str, int, int], ...]  # (skill, surface, sessions/conversations, invocations)
    connector_uses: tuple[tuple[int, str, int, int, int, int], ...]  # (+ read, write, unclassified calls)
    plugin_uses: tuple[tuple[int, str, int, int], ...]  # (plugin, surface, sessions, invocations)
    plugin_installs: tuple[int, ...]
    projects: tuple[tuple[int, int, int], ...]  # (project, conversations, messages)
    artifacts: tuple[tuple[int, bool, int, int], ...]  # (artifact type, shared, created, published)
    revision: float  # share of the final value still missing while the day is provisional


def presence(user: User, day: date, u: tuple[float, ...]) -> frozenset[str]:
    """Products the user touches on `day` (empty = inactive). A user always shows up on a day
    they created a project, so project creation and chat activity never disagree."""
    if not user.is_member(day):
        return frozenset()
    created = day in user.created_projects
    chance = user.weekend_activity if day.weekday() >= 5 else user.weekday_activity
    if u[0] >= chance and not created:
        return frozenset()
    used = {p for (p, share), x in zip(PRODUCT_USE, u[1:]) if p in user.products and x < share}
    if user.anchor:
        used |= {"chat", "claude_code"}
    if created:
        used.add("chat")
    if not used:
        used.add("chat" if "chat" in user.products else min(user.products))
    return frozenset(used)


def user_day(seed: int, user: User, day: date, used: frozenset[str], projects: list[Project]) -> UserDay:
    r = random.Random(f"{seed}:{user.index}:{day.toordinal()}")
    code = code_records(r, user, day) if "claude_code" in used else ()
    usage: list[Usage] = []
    if user.customer_type == "subscription":
        usage += [_usage_of("claude_code", m) for rec in code for m in rec.models]
    skill_uses, connector_uses, plugin_uses = [], [], []
    code_sessions = sum(rec.sessions for rec in code)
    if code_sessions:
        skill_uses += _skills(r, user, "claude_code", code_sessions)
        connector_uses += _connectors(r, user, "claude_code", code_sessions)
        plugin_uses += _plugins(r, user, day, "claude_code", code_sessions)

    chat, chat_web, chat_projects, artifacts = (0,) * len(CHAT_FIELDS), 0, (), ()
    if "chat" in used:
        chat, chat_web, chat_projects, artifacts, uses = _chat(r, user, day, projects)
        skill_uses += uses[0]
        connector_uses += uses[1]
        usage.append(_tokens(r, "chat", user, day, chat[1], chat_web))

    cowork = (0,) * len(COWORK_FIELDS)
    if "cowork" in used:
        cowork, uses = _cowork(r, user, day)
        skill_uses += uses[0]
        connector_uses += uses[1]
        plugin_uses += uses[2]
        usage.append(_tokens(r, "cowork", user, day, cowork[1], 0))

    office = {app: (0,) * len(OFFICE_FIELDS) for app in catalog.OFFICE_APPS}
    if "office_agent" in used:
        apps = user.office_apps if r.random() < 0.5 else user.office_apps[:1]
        for app in apps:
            office[app], uses = _office(r, user, app)
            skill_uses += uses[0]
            connector_uses += uses[1]
        usage.append(_tokens(r, "office_agent", user, day, sum(v[1] for v in office.values()), 0))

    design = (0,) * len(DESIGN_FIELDS)
    if "claude_design" in used:
        sessions = r.randint(1, 3)
        design = (int(r.random() < 0.1), r.randint(1, 2), sessions, sessions * r.randint(3, 15))
        usage.append(_tokens(r, "claude_design", user, day, design[3], 0))
    if "claude_in_chrome" in used:
        usage.append(_tokens(r, "claude_in_chrome", user, day, r.randint(2, 30), 0))

    science = (0,) * len(SCIENCE_FIELDS)
    if "science" in used:
        sessions = r.randint(1, 2)
        science = (r.randint(0, 4), sessions, sessions * r.randint(4, 20), r.randint(0, 3), r.randint(0, 3))

    code_web = sum(m.web_search for rec in code for m in rec.models)
    installs = tuple(p for p, on in user.plugins if on == day)
    return UserDay(
        user=user, day=day, products=used, code=code, chat=chat, cowork=cowork, office=office,
        design=design, science=science, web_search_count=chat_web + code_web, usage=tuple(usage),
        skill_uses=tuple(skill_uses), connector_uses=tuple(connector_uses), plugin_uses=tuple(plugin_uses),
        plugin_installs=installs, projects=chat_projects, artifacts=artifacts, revision=r.uniform(0, 0.02),
    )


def _model_use(r: random.Random, user: User, model: catalog.Model, sessions: int, scale: float) -> ModelUse:
    uncached = int(sessions * r.uniform(6000, 50000) * scale)
    creation = int(uncached * r.uniform(0.2, 0.8))
    one_hour = int(creation * r.uniform(0.1, 0.4))
    return ModelUse(
        model=model.id,
        input=uncached,
        output=int(uncached * r.uniform(0.15, 0.45)),
        cache_read=int(uncached * r.uniform(3, 15)),
        cache_5m=creation - one_hour,
        cache_1h=one_hour,
        requests=max(1, int(sessions * r.randint(8, 40) * scale)),
        web_search=int(sessions * r.uniform(0, 1.5) * scale),
        context_window="200k-1M" if user.long_context and model.long_context and r.random() < 0.4 else "0-200k",
        speed="fast" if user.fast_mode and model.id == "claude-opus-4-6" and r.random() < 0.5 else "standard",
        inference_geo=inference_geo(model, user.inference_geo),
    )


def inference_geo(model: catalog.Model, preferred: str) -> str:
    """Models older than Feb 2026 report "not_available" (API reference §3.1)."""
    return "not_available" if model.released < catalog.GEO_REPORTING_SINCE else preferred


def code_records(r: random.Random, user: User, day: date) -> tuple[CodeRecord, ...]:
    terminals = user.terminals if len(user.terminals) > 1 and r.random() < 0.4 else user.terminals[:1]
    primary = catalog.model_for(user.model_family, day)
    records = []
    for terminal in terminals:
        sessions = 1 + min(11, int(r.expovariate(0.6)))
        added = int(sessions * r.uniform(15, 420))
        commits = int(sessions * r.random() * 1.4)
        tools = []
        for low, high, reject, chance in ((2, 14, 0.15, 1), (0, 4, 0.2, 1), (0.5, 3, 0.1, 1), (0, 2, 0.1, 0.1)):
            accepted = int(sessions * r.uniform(low, high)) if r.random() < chance else 0
            tools.append((accepted, int(accepted * r.uniform(0, reject))))
        models = [_model_use(r, user, primary, sessions, 1.0)]
        if user.uses_subagents and primary.family != "haiku" and r.random() < 0.6:
            models.append(_model_use(r, user, catalog.model_for("haiku", day), sessions, 0.3))
        records.append(CodeRecord(
            terminal=terminal, is_remote=terminal in user.remote_terminals, sessions=sessions,
            lines_added=added, lines_removed=int(added * r.uniform(0.1, 0.6)), commits=commits,
            pull_requests=int(commits * r.random() * 0.5), tools=tuple(tools), models=tuple(models),
        ))
    return tuple(records)


def _usage_of(product: str, m: ModelUse) -> Usage:
    return Usage(product, m.model, m.context_window, m.inference_geo, m.speed, m.input, m.cache_5m,
                 m.cache_1h, m.cache_read, m.output, m.web_search, m.requests)


def _tokens(r: random.Random, product: str, user: User, day: date, messages: int, web: int) -> Usage:
    """Token usage of a conversational product, proportional to its messages."""
    family = "sonnet" if user.model_family == "haiku" else user.model_family
    model = catalog.model_for(family, day)
    messages = max(1, messages)
    uncached = int(messages * r.uniform(1500, 9000))
    return Usage(product, model.id, "0-200k", inference_geo(model, user.inference_geo), "standard", uncached,
                 int(uncached * r.uniform(0, 0.1)), 0, int(uncached * r.uniform(0.5, 3)),
                 int(messages * r.uniform(250, 1400)), web, messages + r.randint(0, messages // 4))


def _skills(r, user, surface, contexts):
    uses = []
    for s in user.skills:
        if r.random() < 0.25:
            n = r.randint(1, max(1, min(3, contexts)))
            uses.append((s, surface, n, n * r.randint(1, 3)))
    return uses


def _connectors(r, user, surface, contexts):
    uses = []
    for c in user.connectors:
        if r.random() < 0.3:
            n = r.randint(1, max(1, min(3, contexts)))
            uses.append((c, surface, n, n * r.randint(1, 6), n * r.randint(0, 2), r.randint(0, 1)))
    return uses


def _plugins(r, user, day, surface, sessions):
    return [(p, surface, r.randint(1, max(1, min(3, sessions))), r.randint(1, 8))
            for p, installed in user.plugins if installed <= day and r.random() < 0.3]


def _chat(r: random.Random, user: User, day: date, projects: list[Project]):
    messages = 1 + min(199, int(r.expovariate(1 / 14)))
    conversations = max(1, int(messages / r.uniform(3, 9)))
    usable = [p for p in user.project_affinity
              if projects[p].created_at is None or projects[p].created_at.date() <= day]
    created = user.created_projects.get(day, ())
    chosen = list(dict.fromkeys([*created, *(p for p in usable if r.random() < 0.35)]))
    used_projects = tuple(
        (p, c, c * r.randint(1, 6)) for p in chosen for c in [r.randint(1, max(1, conversations // 2))]
    )
    skills = _skills(r, user, "chat", conversations)
    connectors = _connectors(r, user, "chat", conversations)
    artifacts = ()
    if r.random() < 0.3:
        shared = r.random() < 0.2
        made = r.randint(1, 3)
        artifacts = ((r.randrange(len(catalog.ARTIFACT_TYPES)), shared, made, r.randint(0, made) if shared else 0),)
    web = int(messages * r.uniform(0, 0.25))
    chat = (
        conversations, messages, len(created), len(used_projects),
        r.randint(1, 4) if r.random() < 0.35 else 0, sum(a[2] for a in artifacts),
        r.randint(0, 2), int(messages * r.uniform(0, 0.4)), len(skills),
        sum(c[2] for c in connectors), len(connectors), r.randint(0, 2),
    )
    return chat, web, used_projects, artifacts, (skills, connectors)


def _cowork(r: random.Random, user: User, day: date):
    sessions = r.randint(1, 3)
    messages = sessions * r.randint(3, 20)
    skills = _skills(r, user, "cowork", sessions)
    connectors = _connectors(r, user, "cowork", sessions)
    plugins = _plugins(r, user, day, "cowork", sessions)
    edits = [int(sessions * r.uniform(0, high)) for high in (6, 2, 3, 0.5)]
    cowork = (
        sessions, messages, int(messages * r.uniform(1, 4)), int(sessions * r.uniform(0, 3)),
        sum(s[3] for s in skills), len(skills), sum(c[2] for c in connectors), len(connectors),
        r.randint(0, 2), sum(p[3] for p in plugins), len(plugins), *edits, sum(edits),
        min(sessions, sum(1 for e in edits if e)),
    )
    return cowork, (skills, connectors, plugins)


def _office(r: random.Random, user: User, app: str):
    sessions = r.randint(1, 2)
    skills = _skills(r, user, app, sessions)
    connectors = _connectors(r, user, app, sessions)
    block = (sessions, sessions * r.randint(2, 12), sum(s[3] for s in skills), len(skills),
             sum(c[2] for c in connectors), len(connectors))
    return block, (skills, connectors)
