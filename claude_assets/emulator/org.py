"""`SyntheticOrg`: the deterministic organization behind every endpoint (the ground truth).

Truth accessors for tests and tools (all days are UTC `datetime.date`s):

- `org.users` — every member ever (`people.User`: `id`, `email`, `name`, `joined_on`,
  `left_on`, `customer_type`, `terminals`, `model_family`, `telemetry_enabled_on`, ...).
- `org.user_by_email(email)`, `org.user_by_id(user_id)`.
- `org.projects`, `org.rbac_groups` (id, name), `org.workspaces`, `org.actor_keys`, `org.app_keys`.
- `org.user_day(user, day)` — that user's `activity.UserDay` (None when inactive).
- `org.active_user_days(day)` — every active user's `UserDay`, in user order.
- `org.claude_code_records(day)` — exactly the rows the Claude Code report serves for a
  finished day, in API order.
- `org.active_mask(day, product=None)` — bitmask of active user indices (DAU/WAU/MAU truth).
- `org.api_usage(day)` — the day's Admin API (Console) usage items.

Days are generated lazily and cached per day (bounded LRU caches), so 1,000 users over a
year are served without holding the year in memory. Nothing depends on the clock: the
endpoints decide what part of the truth is visible "now".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from . import activity, catalog, ids
from .activity import CodeRecord, UserDay
from .claude_code_rows import day_rows
from .people import NIGHTLY_KEY, ApiKey, User, build_api_keys, build_projects, build_users

DAY_CACHE_SIZE = 96  # full user-days (~1.5 MB per day at 1,000 users): the 90-day engagement window
API_CACHE_SIZE = 512  # the Console side of a day is small: a year fits
PRESENCE_CACHE_SIZE = 2048  # bitmasks only: a few hundred bytes per day


@dataclass(slots=True)
class ApiUsage:
    """Admin API (Console) usage of one API key on one model for one day."""

    api_key_id: str
    workspace_id: str | None
    account_id: str | None
    service_account_id: str | None
    model: str
    service_tier: str
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
class ConsoleDay:
    """The Admin API side of a day: unattended Claude Code keys and all API usage."""

    actor_code: tuple[tuple[ApiKey, CodeRecord], ...]
    api_usage: tuple[ApiUsage, ...]


class SyntheticOrg:
    def __init__(self, seed: int, users: int, history_start: date):
        self.seed = seed
        self.history_start = history_start
        self.users: list[User] = build_users(seed, users, history_start)
        self.projects = build_projects(seed, self.users, history_start)
        self.workspaces, self.actor_keys, self.app_keys = build_api_keys(seed)
        self.rbac_groups = [(ids.tagged_id("rbac_group", seed, name), name) for name in catalog.RBAC_GROUPS]
        self.organization_uuid = ids.stable_uuid(seed, "organization")
        self.organization_id = ids.tagged_id("org", seed, "organization")
        self.plugin_ids = [ids.tagged_id("plugin", seed, name) for name in catalog.PLUGINS]
        self._by_email = {u.email: u for u in self.users}
        self._by_id = {u.id: u for u in self.users}
        self._presence_key = ids.digest(seed, "presence")
        self._api_users = [u for u in self.users if u.customer_type == "api"]
        self._user_days = lru_cache(maxsize=DAY_CACHE_SIZE)(self._build_user_days)
        self.console_day = lru_cache(maxsize=API_CACHE_SIZE)(self._build_console_day)
        self._masks = lru_cache(maxsize=PRESENCE_CACHE_SIZE)(self._build_masks)

    # -- lookups ---------------------------------------------------------------------------
    def user_by_email(self, email: str) -> User | None:
        return self._by_email.get(email.lower())

    def user_by_id(self, user_id: str) -> User | None:
        return self._by_id.get(user_id)

    def members_on(self, day: date) -> int:
        return sum(1 for u in self.users if u.is_member(day))

    def pending_invites_on(self, day: date) -> int:
        """Invites sent a week before a member joins are pending until they join."""
        return sum(1 for u in self.users if day < u.joined_on <= day + timedelta(days=7))

    # -- truth per day -----------------------------------------------------------------------
    def _used(self, user: User, day: date) -> frozenset[str]:
        if day < self.history_start:
            return frozenset()
        return activity.presence(user, day, ids.uniforms(self._presence_key, user.index, day.toordinal()))

    def _build_masks(self, day: date) -> dict[str | None, int]:
        masks: dict[str | None, int] = {None: 0}
        for user in self.users:
            used = self._used(user, day)
            if used:
                bit = 1 << user.index
                masks[None] |= bit
                for product in used:
                    masks[product] = masks.get(product, 0) | bit
        return masks

    def active_mask(self, day: date, product: str | None = None) -> int:
        """Bit i set = user i active on `day` (in `product`, or in anything when None)."""
        return self._masks(day).get(product, 0)

    def user_day(self, user: User, day: date) -> UserDay | None:
        used = self._used(user, day)
        return activity.user_day(self.seed, user, day, used, self.projects) if used else None

    def active_user_days(self, day: date) -> tuple[UserDay, ...]:
        return self._user_days(day)

    def claude_code_records(self, day: date) -> list[dict]:
        return day_rows(self, day, 1.0)

    def api_usage(self, day: date) -> tuple[ApiUsage, ...]:
        return self.console_day(day).api_usage

    def _build_user_days(self, day: date) -> tuple[UserDay, ...]:
        return tuple(ud for ud in (self.user_day(u, day) for u in self.users) if ud is not None)

    def _build_console_day(self, day: date) -> ConsoleDay:
        """Only the "api" customers are drawn here, so Admin reports never build whole days."""
        api_days = (ud for ud in (self.user_day(u, day) for u in self._api_users) if ud is not None)
        actor_code = tuple(self._actor_code(day))
        usage = [
            _api_usage(ud.user.api_key_id, self.workspaces["claude_code"], ud.user.id, None, m)
            for ud in api_days for rec in ud.code for m in rec.models
        ]
        usage += [
            _api_usage(key.id, self.workspaces[key.workspace], None, key.service_account_id, m)
            for key, rec in actor_code for m in rec.models
        ]
        usage += self._app_usage(day)
        return ConsoleDay(actor_code, tuple(usage))

    def _actor_code(self, day: date):
        """Claude Code run unattended with API keys (the report's `api_actor` rows)."""
        if day < self.history_start:
            return
        for k, key in enumerate(self.actor_keys):
            r = ids.rng(self.seed, "actor-code", key.name, day.toordinal())
            if r.random() < (0.2 if day.weekday() >= 5 else 0.85) or key.name == NIGHTLY_KEY:
                bot = _bot_profile(key, k)
                for record in activity.code_records(r, bot, day):
                    yield key, record

    def _app_usage(self, day: date) -> list[ApiUsage]:
        """Production apps on the Console org: API traffic that is not Claude Code."""
        if day < self.history_start:
            return []
        items = []
        for key in self.app_keys:
            r = ids.rng(self.seed, "app-usage", key.name, day.toordinal())
            requests = r.randint(300, 2500) if day.weekday() < 5 else r.randint(20, 300)
            model = catalog.model_for(key.model_family, day)
            uncached = requests * r.randint(800, 3000)
            items.append(ApiUsage(
                api_key_id=key.id, workspace_id=self.workspaces[key.workspace] if key.workspace else None,
                account_id=None, service_account_id=None, model=model.id, service_tier=key.service_tier,
                context_window="0-200k", inference_geo=activity.inference_geo(model, "global"), speed="standard",
                uncached=uncached, cache_5m=int(uncached * 0.05), cache_1h=0,
                cache_read=int(uncached * r.uniform(0.5, 2)), output=requests * r.randint(150, 600),
                # a standard-tier app searches the web every day, so every day's cost report has a web_search line
                web_search=max(1, r.randint(0, requests // 20)) if key.service_tier == "standard" else 0,
                requests=requests,
            ))
        return items


def _api_usage(key_id, workspace_id, account_id, service_account_id, m) -> ApiUsage:
    return ApiUsage(key_id, workspace_id, account_id, service_account_id, m.model, "standard",
                    m.context_window, m.inference_geo, m.speed, m.input, m.cache_5m, m.cache_1h,
                    m.cache_read, m.output, m.web_search, m.requests)


@lru_cache(maxsize=None)
def _bot_profile(key: ApiKey, k: int) -> User:
    """A Claude Code profile for an unattended API key, so bots reuse the user generator."""
    return User(
        index=-1 - k, id="", name=key.name, email="", joined_on=date.min, left_on=None,
        customer_type="api", products=frozenset({"claude_code"}), office_apps=(),
        terminals=("tmux",), remote_terminals=frozenset({"tmux"}), model_family=key.model_family,
        uses_subagents=False, long_context=False, fast_mode=False, inference_geo="global",
        weekday_activity=1, weekend_activity=1, rbac_groups=(), skills=(), connectors=(), plugins=(),
        telemetry_enabled_on=None, api_key_id=key.id,
    )
