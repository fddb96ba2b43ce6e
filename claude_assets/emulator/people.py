"""The organization's members, projects and API keys, drawn once from the seed.

A user's traits (products, terminals, model family, rhythm, groups, telemetry start) are fixed
for the whole history; what they do on a given day is drawn in `activity.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from . import catalog, ids
from .timeutil import UTC

HISTORY_DAYS = 400  # the span a default history covers, also used to place joins and leaves
# Every organization, whatever its seed or size, has these members (the first two users), so what
# tests and the quickstart rely on holds on any date: Claude Code and chat activity every day,
# weekends included, telemetry long on for one of them, and telemetry turned on ten days before the
# end of the history (yesterday, by default) for the other.
ANCHORS = 2
LONG_ON_AFTER_DAYS = 30
RECENTLY_ON_BEFORE_END_DAYS = 10
# The next member (in an organization of three or more) comes in every weekday for the whole history, so any
# weekday has at least three active members: keeping a third of a weekday's rows is always far fewer.
WEEKDAY_REGULAR = ANCHORS
# The unattended Claude Code key that runs every night, weekends included: every day has an API key's rows (and,
# in telemetry, a client known only by its user.id) beside the members'.
NIGHTLY_KEY = "nightly-refactor-bot"


@dataclass(slots=True)
class User:
    """One member. `customer_type` says how their Claude Code is billed: "subscription"
    (Enterprise seat, reported by the Enterprise Analytics cost/usage endpoints) or "api"
    (Console pay-as-you-go, reported by the Admin usage/cost endpoints)."""

    index: int
    id: str
    name: str
    email: str
    joined_on: date
    left_on: date | None
    customer_type: str
    products: frozenset[str]
    office_apps: tuple[str, ...]
    terminals: tuple[str, ...]
    remote_terminals: frozenset[str]
    model_family: str
    uses_subagents: bool
    long_context: bool
    fast_mode: bool
    inference_geo: str
    weekday_activity: float
    weekend_activity: float
    rbac_groups: tuple[int, ...]
    skills: tuple[int, ...]
    connectors: tuple[int, ...]
    plugins: tuple[tuple[int, date], ...]
    telemetry_enabled_on: date | None
    api_key_id: str | None
    anchor: bool = False  # active every day in chat and Claude Code (see ANCHORS)
    project_affinity: tuple[int, ...] = ()
    created_projects: dict[date, tuple[int, ...]] = field(default_factory=dict)

    def is_member(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)

    def deleted(self, today: date) -> bool:
        """Removed from the organization (the cost/usage actor's `deleted` flag)."""
        return self.left_on is not None and self.left_on <= today


@dataclass(frozen=True, slots=True)
class Project:
    index: int
    id: str
    name: str
    creator: int | None
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A Console API key. `workspace` None is the default workspace."""

    id: str
    name: str
    workspace: str | None
    service_account_id: str | None
    service_tier: str
    model_family: str


def _pick(rng, population, weights=None, k=1):
    return tuple(dict.fromkeys(rng.choices(population, weights=weights, k=k)))


def build_users(seed: int, count: int, history_start: date) -> list[User]:
    domain = f"{catalog.COMPANIES[seed % len(catalog.COMPANIES)]}.example"
    span_end = history_start + timedelta(days=HISTORY_DAYS)
    users, emails = [], set()
    for i in range(count):
        r = ids.rng(seed, "user", i)
        first, last = r.choice(catalog.FIRST_NAMES), r.choice(catalog.LAST_NAMES)
        email = f"{first}.{last}@{domain}"
        if email in emails:
            email = f"{first}.{last}{i}@{domain}"
        emails.add(email)
        if r.random() < 0.75:
            joined = history_start - timedelta(days=r.randrange(1, 400))
        else:
            joined = history_start + timedelta(days=r.randrange(0, HISTORY_DAYS - 30))
        left = None
        if r.random() < 0.06:
            earliest = max(joined, history_start) + timedelta(days=30)
            if earliest < span_end - timedelta(days=10):
                left = earliest + timedelta(days=r.randrange((span_end - earliest).days - 10))
        products = {p for p, share in (
            ("chat", 0.9), ("claude_code", 0.65), ("cowork", 0.3), ("office_agent", 0.25),
            ("claude_design", 0.1), ("claude_in_chrome", 0.1), ("science", 0.05),
        ) if r.random() < share} or {"chat"}
        telemetry = None
        if "claude_code" in products and r.random() < 0.6:
            switch_on = history_start + timedelta(days=int(HISTORY_DAYS * r.uniform(0.4, 0.9)))
            telemetry = max(joined + timedelta(days=7), switch_on)
        customer_type = "api" if "claude_code" in products and r.random() < 0.15 else "subscription"
        terminals = _pick(r, catalog.TERMINALS, catalog.TERMINAL_WEIGHTS, k=1 + (r.random() < 0.35))
        users.append(User(
            index=i,
            id=ids.tagged_id("user", seed, i),
            name=f"{first.capitalize()} {last.capitalize()}",
            email=email,
            joined_on=joined,
            left_on=left,
            customer_type=customer_type,
            products=frozenset(products),
            office_apps=_pick(r, catalog.OFFICE_APPS, (4, 2, 3, 3), k=2),
            terminals=terminals,
            remote_terminals=frozenset(t for t in terminals if r.random() < 0.1),
            model_family=r.choices(("opus", "sonnet", "haiku"), (35, 55, 10))[0],
            uses_subagents=r.random() < 0.4,
            long_context=r.random() < 0.15,
            fast_mode=r.random() < 0.05,
            inference_geo="us" if r.random() < 0.2 else "global",
            weekday_activity=0.35 + 0.6 * r.random(),
            weekend_activity=0.02 + 0.2 * r.random(),
            rbac_groups=_pick(r, range(len(catalog.RBAC_GROUPS)), k=1 + (r.random() < 0.25)),
            skills=_pick(r, range(len(catalog.SKILLS)), k=3),
            connectors=_pick(r, range(len(catalog.CONNECTORS)), k=3),
            plugins=tuple(
                (p, max(joined, history_start) + timedelta(days=r.randrange(HISTORY_DAYS)))
                for p in _pick(r, range(len(catalog.PLUGINS)), k=2)
            ) if "claude_code" in products or "cowork" in products else (),
            telemetry_enabled_on=telemetry,
            api_key_id=ids.tagged_id("apikey", seed, "claude-code", i) if customer_type == "api" else None,
        ))
        if i < ANCHORS:
            users[i] = _anchor(users[i], history_start)
        elif i == WEEKDAY_REGULAR:
            users[i] = replace(users[i], joined_on=min(joined, history_start - timedelta(days=30)), left_on=None,
                               weekday_activity=1.0)
    return users


def _anchor(user: User, history_start: date) -> User:
    """A member for the whole history who uses chat and Claude Code every day, on an Enterprise seat."""
    telemetry_on = (history_start + timedelta(days=LONG_ON_AFTER_DAYS) if user.index == 0
                    else history_start + timedelta(days=HISTORY_DAYS - RECENTLY_ON_BEFORE_END_DAYS))
    return replace(
        user, anchor=True, joined_on=history_start - timedelta(days=30), left_on=None,
        products=user.products | {"chat", "claude_code"}, customer_type="subscription", api_key_id=None,
        weekday_activity=1.0, weekend_activity=1.0, telemetry_enabled_on=telemetry_on,
    )


def build_projects(seed: int, users: list[User], history_start: date) -> list[Project]:
    """Chat projects, each created by a chat user while a member (a few with unknown creator),
    and each user's short list of projects they work in."""
    r = ids.rng(seed, "projects")
    span_end = history_start + timedelta(days=HISTORY_DAYS)
    chat_users = [u for u in users if "chat" in u.products] or users
    projects = []
    for p in range(max(3, len(users) // 4)):
        creator = r.choice(chat_users)
        start = max(creator.joined_on, history_start)
        end = min(creator.left_on or span_end, span_end)
        when = start + timedelta(days=r.randrange(max(1, (end - start).days)))
        created_at = datetime(when.year, when.month, when.day, r.randrange(8, 18), r.randrange(60), tzinfo=UTC)
        unattributed = r.random() < 0.08
        topic = catalog.PROJECT_TOPICS[p % len(catalog.PROJECT_TOPICS)]
        projects.append(Project(
            index=p,
            id=ids.tagged_id("claude_proj", seed, p),
            name=topic if p < len(catalog.PROJECT_TOPICS) else f"{topic} {p // len(catalog.PROJECT_TOPICS) + 1}",
            creator=None if unattributed else creator.index,
            created_at=None if unattributed else created_at,
        ))
        if not unattributed:
            creator.created_projects.setdefault(when, ())
            creator.created_projects[when] += (p,)
    for u in users:
        u.project_affinity = tuple(r.sample(range(len(projects)), k=min(3, len(projects))))
    return projects


def build_api_keys(seed: int) -> tuple[dict[str, str], list[ApiKey], list[ApiKey]]:
    """Workspace ids, the API keys that run Claude Code unattended, and the app keys."""
    workspaces = {name: ids.tagged_id("wrkspc", seed, name) for name in catalog.WORKSPACES}
    actor_keys = [
        ApiKey(ids.tagged_id("apikey", seed, name), name, "automation",
               ids.tagged_id("svac", seed, name), "standard", "sonnet")
        for name in catalog.API_ACTOR_KEYS
    ]
    app_keys = [
        ApiKey(ids.tagged_id("apikey", seed, name), name, workspace, None, tier, family)
        for name, workspace, tier, family in catalog.APP_KEYS
    ]
    return workspaces, actor_keys, app_keys
