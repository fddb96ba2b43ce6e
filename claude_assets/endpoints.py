"""Every synced endpoint, described as data: one entry per endpoint, one asset factory for all.

An `Endpoint` says where to ask (path, key kind, the query for a span of UTC days, how it pages), when
its data exists (its `Calendar`), and which tables its records become. Adding an endpoint is
adding an entry here, not writing an asset.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Callable, Iterable

import pyarrow as pa

from claude_assets import calendars
from claude_assets.calendars import Calendar
from claude_assets.client import KeyKind, MalformedResponseError, Pagination
from claude_assets.tables import Column, Table, count, day, dimension, flag, money_cents, parent, text, timestamp


@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    key_kind: KeyKind | None  # None: either key works, and the organization says which one speaks for it
    group: str
    calendar: Calendar
    pagination: Pagination
    query: Callable[[dt.date, dt.date], dict[str, Any]]  # the query for the days [start, end)
    records: Callable[[dict], Iterable[dict]]
    tables: tuple[Table, ...]  # the first is the endpoint's main table; the rest are child tables
    api: str  # which API, for descriptions
    days_per_request: int = 1  # >1 for time-bucketed reports, which answer a range in one request
    headers: dict[str, str] = dataclasses.field(default_factory=dict)  # sent on this endpoint's requests only
    # (label, group_by) pairs: the same days asked once per grouping, each row labelled with its grouping in the
    # table's `grouping` column. This is how one table holds more dimensions than one query may group by (F1).
    groupings: tuple[tuple[str, tuple[str, ...]], ...] = ()
    legacy: bool = False  # an endpoint the Usage and Cost Analytics API supersedes (still supported)

    def __post_init__(self) -> None:
        for label, query in self.queries(dt.date(2026, 1, 1), dt.date(2026, 1, 2)):
            grouped = query.get("group_by[]", [])
            if len(grouped) > MAX_GROUP_BY:
                raise ValueError(f"{self.name} {label or ''} groups by {len(grouped)} dimensions; the live API refuses "
                                 f"more than {MAX_GROUP_BY} (field report F1): split them over two groupings")

    def queries(self, start: dt.date, end: dt.date) -> list[tuple[str | None, dict[str, Any]]]:
        """The queries that answer the days [start, end): one, or one per grouping, with the grouping's label."""
        query = self.query(start, end)
        if not self.groupings:
            return [(None, query)]
        return [(label, {**query, "group_by[]": list(dims)}) for label, dims in self.groupings]

    def record_day(self, record: dict) -> dt.date | None:
        """The UTC day a record says it belongs to (its date or its bucket's start), if it says one."""
        for key in ("date", "starting_at", "starting_date"):
            value = record.get(key)
            if isinstance(value, str):
                try:
                    return dt.date.fromisoformat(value[:10])
                except ValueError:
                    return None
        return None

    @property
    def assets(self) -> list[str]:
        return [t.asset for t in self.tables]

    def max_pages(self, days: int) -> int:
        """The most pages one listing of `days` days can take: more means a cursor that never runs out, not data.

        A bucketed report's `limit` counts whole days' buckets, so a page holds at least a day; otherwise a page
        holds `limit` rows, and a day at most MAX_ROWS_PER_DAY."""
        if self.pagination is Pagination.NONE:
            return 1
        query = self.query(dt.date(2026, 1, 1), dt.date(2026, 1, 1) + dt.timedelta(days=days))
        if "bucket_width" in query:
            return days + PAGE_SLACK
        return days * -(-MAX_ROWS_PER_DAY // query["limit"]) + PAGE_SLACK


MAX_ROWS_PER_DAY = 1_000_000  # one day of one query: a row per seat, product and model of the largest organizations
PAGE_SLACK = 10  # pages past the bound, for a short page or an empty last one
MAX_GROUP_BY = 5  # the live API answers more `group_by[]` values with a 400 (api-reference §8, F1)


def _data(page: dict) -> list[dict]:
    data = page.get("data")
    if not isinstance(data, list):
        raise MalformedResponseError(
            f"The response has no 'data' list (it has: {', '.join(sorted(page)) or 'nothing'}). The API's shape "
            "has changed or ANTHROPIC_BASE_URL points at something else; nothing was written for this day."
        )
    return data


_TOOLS = ("edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool")
_ACTOR_KEY = (
    day("date", "date", "UTC day of the activity"),
    text("actor_type", "actor.type", "user_actor (OAuth login) or api_actor (API key login)"),
    text("email", "actor.email_address", "the user's e-mail, for user_actor rows"),
    text("api_key_name", "actor.api_key_name", "the API key's name, for api_actor rows"),
    text("terminal_type", "terminal_type", "vscode, iTerm.app, tmux, ..."),
)

CLAUDE_CODE_USAGE = Table(
    asset="claude_code_usage",
    description="One row per actor, UTC day and terminal: Claude Code sessions, lines, commits, PRs and edit decisions.",
    natural_key=("date", "actor_type", "email", "api_key_name", "terminal_type"),
    consumed_elsewhere=("model_breakdown",),
    columns=_ACTOR_KEY
    + (
        text("organization_id", "organization_id"),
        text("customer_type", "customer_type", "api (pay as you go) or subscription (Pro/Team/Enterprise)"),
        text("subscription_type", "subscription_type"),
        flag("is_remote", "is_remote"),
        count("sessions", "core_metrics.num_sessions"),
        count("lines_added", "core_metrics.lines_of_code.added"),
        count("lines_removed", "core_metrics.lines_of_code.removed"),
        count("commits", "core_metrics.commits_by_claude_code"),
        count("pull_requests", "core_metrics.pull_requests_by_claude_code"),
    )
    + tuple(
        count(f"{tool}_{decision}", f"tool_actions.{tool}.{decision}")
        for tool in _TOOLS
        for decision in ("accepted", "rejected")
    ),
)

CLAUDE_CODE_MODEL_USAGE = Table(
    asset="claude_code_model_usage",
    description="One row per actor, UTC day, terminal and model: tokens and estimated cost (child of claude_code_usage).",
    natural_key=CLAUDE_CODE_USAGE.natural_key + ("model",),
    explode="model_breakdown",
    columns=tuple(parent(c) for c in _ACTOR_KEY)
    + (
        text("model", "model"),
        count("input_tokens", "tokens.input"),
        count("output_tokens", "tokens.output"),
        count("cache_read_tokens", "tokens.cache_read"),
        count("cache_creation_tokens", "tokens.cache_creation"),
        *money_cents("estimated_cost", "estimated_cost.amount", exact=False),
        text("currency", "estimated_cost.currency"),
    ),
)

CLAUDE_CODE_REPORT = Endpoint(
    name="claude_code_report",
    path="/v1/organizations/usage_report/claude_code",
    key_kind=KeyKind.ADMIN,
    group="claude_code_analytics",
    calendar=calendars.CLAUDE_CODE,
    pagination=Pagination.HAS_MORE,
    query=lambda start, end: {"starting_at": start.isoformat(), "limit": 1000},
    records=_data,
    tables=(CLAUDE_CODE_USAGE, CLAUDE_CODE_MODEL_USAGE),
    api="Claude Code Analytics API (Admin key)",
)


# -- shared pieces of the usage and cost reports ---------------------------------------------


def _bounds(start: dt.date, end: dt.date) -> dict[str, str]:
    """RFC 3339 UTC midnights for the days [start, end)."""
    return {"starting_at": f"{start.isoformat()}T00:00:00Z", "ending_at": f"{end.isoformat()}T00:00:00Z"}


def _bucket_results(page: dict) -> list[dict]:
    """Rows of a time-bucketed report: each result carries its bucket's bounds."""
    rows = []
    for bucket in _data(page):
        bounds = {"starting_at": bucket.get("starting_at"), "ending_at": bucket.get("ending_at")}
        rows.extend({**bounds, **result} for result in bucket.get("results") or [])
    return rows


ENVELOPE = ("data_refreshed_at", "organization_id")  # kept with every row of the Enterprise cost and usage reports


def _with_envelope(rows: Callable[[dict], list[dict]]) -> Callable[[dict], list[dict]]:
    """Each row carries its page's watermark and organization (F12): buckets after the watermark were incomplete."""
    def records(page: dict) -> list[dict]:
        envelope = {key: page[key] for key in ENVELOPE if key in page}
        return [{**envelope, **row} for row in rows(page)]

    return records


_BOUNDS = (timestamp("starting_at", "starting_at"), timestamp("ending_at", "ending_at"))
_TOKENS = (
    count("uncached_input_tokens", "uncached_input_tokens"),
    count("cache_creation_5m_input_tokens", "cache_creation.ephemeral_5m_input_tokens"),
    count("cache_creation_1h_input_tokens", "cache_creation.ephemeral_1h_input_tokens"),
    count("cache_read_input_tokens", "cache_read_input_tokens"),
    count("output_tokens", "output_tokens"),
    count("web_search_requests", "server_tool_use.web_search_requests"),
)
_MODEL_DIMENSIONS = tuple(dimension(n, n) for n in ("model", "context_window", "inference_geo", "speed"))
# Newest dimensions of the Enterprise reports; null unless grouped on, which this project does not.
_ENTERPRISE_DIMENSIONS = tuple(
    dimension(n, n) for n in ("rbac_group_id", "slack_channel_id", "claude_tag_category", "claude_tag_user_id")
)
_COST_DIMENSIONS = (dimension("cost_type", "cost_type"), dimension("token_type", "token_type"))
_ENVELOPE_COLUMNS = (
    timestamp("data_refreshed_at", "data_refreshed_at",
              "the API's watermark when the day was fetched: buckets after it were still incomplete"),
    text("organization_id", "organization_id", "the organization the API says it answered for (org_...)"),
)
_AMOUNTS = (
    text("currency", "currency"),
    *money_cents("amount", "amount", exact=True),
)
_ENTERPRISE_AMOUNTS = _AMOUNTS + money_cents("list_amount", "list_amount", exact=True)
_ACTOR = (
    text("actor_type", "actor.type"),
    text("user_id", "actor.user_id", "tagged user id (user_...)"),
    text("email", "actor.email|actor.email_address", "null for deleted accounts"),
    text("name", "actor.name"),
    flag("deleted", "actor.deleted"),
)

# -- Admin Usage & Cost API -----------------------------------------------------------------

# The live usage report refuses more than 5 `group_by[]` dimensions (F1), so the Messages API's usage is
# read twice, as two groupings of the same buckets: who spent it, and how it was priced. Both tables
# have every dimension column (null where not grouped, as the API sends them), and their totals per
# day agree: sum either one, never both.
MESSAGES_BY_KEY = ("api_key_id", "workspace_id", "model", "service_tier", "context_window")
MESSAGES_BY_GEO = ("model", "service_tier", "context_window", "inference_geo", "speed")
_MESSAGES_COLUMNS = (
    (day("date", "starting_at"), *_BOUNDS)
    + tuple(dimension(n, n) for n in ("api_key_id", "workspace_id", "account_id", "service_account_id", "service_tier"))
    + _MODEL_DIMENSIONS
    + _TOKENS
)

API_MESSAGES_USAGE = Table(
    asset="api_messages_usage",
    description="One row per UTC day and API key, workspace, model, service tier and context window: Messages API "
    "tokens. Inference geo and speed are in api_messages_usage_by_geo (the API groups by at most 5 dimensions).",
    natural_key=("date", *MESSAGES_BY_KEY),
    columns=_MESSAGES_COLUMNS,
)

API_MESSAGES_USAGE_BY_GEO = Table(
    asset="api_messages_usage_by_geo",
    description="One row per UTC day and model, service tier, context window, inference geo and speed: Messages "
    "API tokens, the same totals as api_messages_usage grouped by what sets the price instead of by key.",
    natural_key=("date", *MESSAGES_BY_GEO),
    columns=_MESSAGES_COLUMNS,
)

API_COST = Table(
    asset="api_cost",
    description="One row per UTC day, workspace and cost description (model, token type, ...): billed cost.",
    natural_key=("date", "workspace_id", "description"),
    columns=(day("date", "starting_at"), *_BOUNDS, dimension("workspace_id", "workspace_id"),
             text("description", "description"), dimension("service_tier", "service_tier"))
    + _MODEL_DIMENSIONS
    + _COST_DIMENSIONS
    + _AMOUNTS,
)

# -- Claude Enterprise Analytics: engagement ------------------------------------------------

_OFFICE = ("excel", "powerpoint", "outlook", "word")
_CHAT = ("distinct_conversation_count", "message_count", "distinct_projects_created_count",
         "distinct_projects_used_count", "distinct_files_uploaded_count", "distinct_artifacts_created_count",
         "distinct_shared_artifacts_viewed_count", "thinking_message_count", "distinct_skills_used_count",
         "connectors_used_count", "distinct_connectors_used_count", "shared_conversations_viewed_count")
_COWORK = ("distinct_session_count", "message_count", "action_count", "dispatch_turn_count", "skills_used_count",
           "distinct_skills_used_count", "connectors_used_count", "distinct_connectors_used_count",
           "artifacts_created_count", "plugins_used_count", "distinct_plugins_used_count", "edit_tool_count",
           "multi_edit_tool_count", "write_tool_count", "notebook_edit_tool_count", "file_edit_count",
           "sessions_with_file_edits_count")
_OFFICE_METRICS = ("distinct_session_count", "message_count", "skills_used_count", "distinct_skills_used_count",
                   "connectors_used_count", "distinct_connectors_used_count")
_DESIGN = ("distinct_projects_created_count", "distinct_projects_used_count", "distinct_session_count",
           "message_count")
_SCIENCE = ("delegation_count", "distinct_session_count", "message_count", "remote_compute_job_count",
            "skills_used_count")


def _block(prefix: str, path: str, names: Iterable[str]) -> tuple:
    return tuple(count(f"{prefix}_{n}", f"{path}.{n}") for n in names)


# Grouping fields the newest reference puts on every engagement row (F13), null unless grouped on.
_GROUPING = (dimension("rbac_group_id", "rbac_group_id"), dimension("rbac_group_name", "rbac_group_name"))
_ADOPTION_GROUPING = (dimension("product", "product"), *_GROUPING, dimension("user_id", "user_id"))


ENTERPRISE_USER_ACTIVITY = Table(
    asset="enterprise_user_activity",
    description="One row per user and UTC day: claude.ai chat, Claude Code, Cowork, Office, Design and "
    "Science activity.",
    natural_key=("date", "user_id"),
    columns=(
        day("date"),
        text("user_id", "user.id", "tagged user id (user_...)"),
        text("email", "user.email_address"),
        text("user_type", "user.type"),
        day("last_activity_date", "last_activity_date"),
    )
    + _GROUPING
    + (count("distinct_users", "distinct_user_count", "users in the group (grouped rows only)"),)
    + _block("chat", "chat_metrics", _CHAT)
    + (
        count("claude_code_sessions", "claude_code_metrics.core_metrics.distinct_session_count"),
        count("claude_code_lines_added", "claude_code_metrics.core_metrics.lines_of_code.added_count"),
        count("claude_code_lines_removed", "claude_code_metrics.core_metrics.lines_of_code.removed_count"),
        count("claude_code_commits", "claude_code_metrics.core_metrics.commit_count"),
        count("claude_code_pull_requests", "claude_code_metrics.core_metrics.pull_request_count"),
        count("claude_code_artifacts_created", "claude_code_metrics.core_metrics.artifacts_created_count"),
    )
    + tuple(
        count(f"claude_code_{tool}_{decision}", f"claude_code_metrics.tool_actions.{tool}.{decision}_count")
        for tool in _TOOLS
        for decision in ("accepted", "rejected")
    )
    + (count("web_search_count", "web_search_count"),)
    + _block("cowork", "cowork_metrics", _COWORK)
    + tuple(c for product in _OFFICE for c in _block(f"office_{product}", f"office_metrics.{product}", _OFFICE_METRICS))
    + _block("design", "design_metrics", _DESIGN)
    + _block("science", "science_metrics", _SCIENCE),
)

_PRODUCTS = ("chat", "claude_code", "claude_design", "office_agent", "science")
ENTERPRISE_SUMMARIES = Table(
    asset="enterprise_summaries",
    description="One row per UTC day for the whole organization: daily, weekly and monthly active users, seats, "
    "pending invites and adoption.",
    natural_key=("date",),
    columns=(
        day("date", "starting_at|starting_date"),
        timestamp("starting_at", "starting_at|starting_date"),
        timestamp("ending_at", "ending_at|ending_date"),
        count("daily_active_users", "daily_active_user_count"),
        count("weekly_active_users", "weekly_active_user_count", "7-day window ending on the day"),
        count("monthly_active_users", "monthly_active_user_count", "30-day window ending on the day"),
        count("assigned_seats", "assigned_seat_count"),
        count("pending_invites", "pending_invite_count"),
        Column("daily_adoption_rate", pa.float64(), "daily_adoption_rate", description="percent of assigned seats"),
        Column("weekly_adoption_rate", pa.float64(), "weekly_adoption_rate", description="percent of assigned seats"),
        Column("monthly_adoption_rate", pa.float64(), "monthly_adoption_rate", description="percent of assigned seats"),
    )
    + tuple(
        count(f"{product}_{window}_active_users", f"{product}_{window}_active_user_count")
        for product in ("cowork",) + _PRODUCTS
        for window in ("daily", "weekly", "monthly")
    )
    + (count("science_entitled_users", "science_entitled_user_count"),),
)

ENTERPRISE_CHAT_PROJECTS = Table(
    asset="enterprise_chat_projects",
    description="One row per claude.ai project and UTC day: users, conversations and messages.",
    natural_key=("date", "project_id", "product", "rbac_group_id", "user_id"),
    columns=(
        day("date"),
        text("project_id", "project_id"),
        text("project_name", "project_name"),
        count("distinct_users", "distinct_user_count"),
        count("distinct_conversations", "distinct_conversation_count"),
        count("messages", "message_count"),
        timestamp("created_at", "created_at", "null if the project was deleted before attribution was recorded"),
        text("created_by_user_id", "created_by.id"),
        text("created_by_email", "created_by.email_address"),
        text("created_by_type", "created_by.type"),
    )
    + _ADOPTION_GROUPING,
)


def _usage_by_surface(name: str, unit: str) -> tuple:
    """The per-product counts that skills and connectors share, e.g. `..._skill_used_count`."""
    return (
        count(f"chat_conversations_{name}", f"chat_metrics.distinct_conversation_{unit}_used_count"),
        count(f"claude_code_sessions_{name}", f"claude_code_metrics.distinct_session_{unit}_used_count"),
        count(f"cowork_sessions_{name}", f"cowork_metrics.distinct_session_{unit}_used_count"),
    ) + tuple(
        count(f"office_{product}_sessions_{name}", f"office_metrics.{product}.distinct_session_{unit}_used_count")
        for product in _OFFICE
    )


ENTERPRISE_SKILLS = Table(
    asset="enterprise_skills",
    description="One row per skill and UTC day: users and conversations or sessions that used it, per product.",
    natural_key=("date", "skill_name", "product", "rbac_group_id", "user_id"),
    columns=(
        day("date"),
        text("skill_name", "skill_name"),
        text("skill_display_name", "skill_display_name"),
        text("share_status", "share_status"),
        count("distinct_users", "distinct_user_count"),
        count("invocations", "invocation_count"),
        count("enables", "enable_count"),
    )
    + _usage_by_surface("using_skill", "skill")
    + (
        text("currency", "currency"),
        *money_cents("attributed_list_price", "attributed_list_price", exact=True),
        *money_cents("estimated_overage_spend", "estimated_overage_spend", exact=True),
    )
    + _ADOPTION_GROUPING,
)

ENTERPRISE_CONNECTORS = Table(
    asset="enterprise_connectors",
    description="One row per connector (normalized name) and UTC day: users, calls and use per product.",
    natural_key=("date", "connector_name", "product", "rbac_group_id", "user_id"),
    columns=(
        day("date"),
        text("connector_name", "connector_name"),
        text("connector_display_name", "connector_display_name"),
        count("distinct_users", "distinct_user_count"),
        count("individual_auth_distinct_users", "individual_auth_distinct_user_count"),
        count("managed_auth_distinct_users", "managed_auth_distinct_user_count"),
        count("read_calls", "read_call_count"),
        count("write_calls", "write_call_count"),
        count("unclassified_calls", "unclassified_call_count"),
    )
    + _usage_by_surface("using_connector", "connector")
    + _ADOPTION_GROUPING,
)

# -- Claude Enterprise Analytics: usage and cost --------------------------------------------

ENTERPRISE_USER_USAGE = Table(
    asset="enterprise_user_usage",
    description="One row per user, product and model for a UTC day: tokens and requests.",
    natural_key=("date", "user_id", "product", "model", "context_window", "inference_geo", "speed"),
    columns=(day("date"), *_BOUNDS) + _ACTOR + (dimension("product", "product"),) + _MODEL_DIMENSIONS + _TOKENS
    + _ENTERPRISE_DIMENSIONS
    + (count("requests", "requests"), count("total_tokens", "total_tokens")) + _ENVELOPE_COLUMNS,
)

ENTERPRISE_USER_COST = Table(
    asset="enterprise_user_cost",
    description="One row per user, product, model, cost type and token type for a UTC day: billed (post-discount) "
    "and list cost.",
    natural_key=("date", "user_id", "product", "model", "context_window", "inference_geo", "speed", "cost_type",
                 "token_type"),
    columns=(day("date"), *_BOUNDS) + _ACTOR + (dimension("product", "product"),) + _MODEL_DIMENSIONS
    + _COST_DIMENSIONS + _ENTERPRISE_DIMENSIONS + _ENTERPRISE_AMOUNTS + (count("requests", "requests"),)
    + _ENVELOPE_COLUMNS,
)

ENTERPRISE_USAGE = Table(
    asset="enterprise_usage",
    description="One row per UTC day, product and model for the organization: tokens and requests.",
    natural_key=("date", "product", "model", "context_window", "inference_geo", "speed"),
    columns=(day("date", "starting_at"), *_BOUNDS, dimension("product", "product")) + _MODEL_DIMENSIONS + _TOKENS
    + _ENTERPRISE_DIMENSIONS + (count("requests", "requests"),) + _ENVELOPE_COLUMNS,
)

ENTERPRISE_COST = Table(
    asset="enterprise_cost",
    description="One row per UTC day, product, model, cost type and token type for the organization: billed and "
    "list cost.",
    natural_key=("date", "product", "model", "context_window", "inference_geo", "speed", "cost_type", "token_type"),
    columns=(day("date", "starting_at"), *_BOUNDS, dimension("product", "product")) + _MODEL_DIMENSIONS
    + _COST_DIMENSIONS + _ENTERPRISE_DIMENSIONS + _ENTERPRISE_AMOUNTS + (count("requests", "requests"),)
    + _ENVELOPE_COLUMNS,
)

# -- Usage and Cost Analytics API (beta): one API for Console and Enterprise organizations ----------

# Each query groups by at most 5 dimensions (F1), so each table holds several groupings of the same days,
# labelled in its `grouping` column; every grouping adds up to the same totals: sum one, never several.
USAGE_GROUPINGS = (
    ("actor", ("actor", "product", "model")),  # who used what on which model and product
    ("key", ("workspace_id", "api_key_id", "service_tier", "product", "model")),  # which workspace, key and tier
    ("price", ("product", "model", "context_window", "inference_geo", "speed")),  # what set the price
)
COST_GROUPINGS = (
    ("actor", ("actor", "product", "model")),
    ("key", ("workspace_id", "api_key_id", "service_tier", "product", "model")),
    ("price", ("product", "model", "cost_type", "token_type", "context_window")),
    ("geo", ("product", "model", "inference_geo", "speed")),
)
# The dimensions the reference documents besides those above; null unless grouped on. A key it adds later
# is kept in `extra` (group.<name>), as §7.6 asks.
_OTHER_GROUP_KEYS = ("rbac_group_id", "agent_id", "deployment_id", "environment_id", "session_id",
                     "slack_channel_id", "claude_tag_category", "claude_tag_user_id", "user_profile_id")
_KEY_DIMENSIONS = ("product", "model", "workspace_id", "api_key_id", "service_tier", "context_window",
                   "inference_geo", "speed")
_ANALYTICS_KEY = (
    day("date", "starting_at"), *_BOUNDS,
    text("grouping", "_grouping", "the grouping this row belongs to (actor, key, price, geo): each adds up to the "
         "day's totals, so filter on one"),
    text("actor_type", "group.actor.type|group.actor_type", "user_actor, api_key_actor, ... (grouping actor)"),
    text("actor_id", "group.actor.user_id|group.actor.api_key_id|group.actor.service_account_id|group.actor.id"
         "|group.actor", "tagged id of the user, API key or service account"),
    text("email", "group.actor.email|group.actor.email_address", "the user's e-mail, for user actors"),
    text("actor_name", "group.actor.name"),
    flag("actor_deleted", "group.actor.deleted"),
) + tuple(dimension(n, f"group.{n}") for n in _KEY_DIMENSIONS)
_ANALYTICS_TAIL = tuple(dimension(n, f"group.{n}") for n in _OTHER_GROUP_KEYS) + _ENVELOPE_COLUMNS
_ANALYTICS_NATURAL_KEY = ("date", "grouping", "actor_type", "actor_id") + _KEY_DIMENSIONS

CLAUDE_USAGE = Table(
    asset="claude_usage",
    description="One row per UTC day, grouping and combination of its dimensions (actor, product, model, workspace, "
    "API key, service tier, context window, inference geo, speed): tokens and requests for all of the "
    "organization's usage, seats and API alike. Filter on one `grouping`: each adds up to the day's totals.",
    natural_key=_ANALYTICS_NATURAL_KEY,
    columns=_ANALYTICS_KEY + (
        count("uncached_input_tokens", "usage.uncached_input_tokens"),
        count("cache_creation_5m_input_tokens", "usage.cache_creation.ephemeral_5m_input_tokens"),
        count("cache_creation_1h_input_tokens", "usage.cache_creation.ephemeral_1h_input_tokens"),
        count("cache_read_input_tokens", "usage.cache_read_input_tokens"),
        count("output_tokens", "usage.output_tokens"),
        count("web_search_requests", "usage.server_tool_use.web_search_requests"),
        count("total_tokens", "usage.total_tokens"),
        count("requests", "usage.requests", "null where the API does not count them; execution spans for code "
              "execution rows"),
    ) + _ANALYTICS_TAIL,
)

CLAUDE_COST = Table(
    asset="claude_cost",
    description="One row per UTC day, grouping and combination of its dimensions (actor, product, model, workspace, "
    "API key, service tier, cost type, token type, context window, inference geo, speed): billed (post-discount, "
    "pre-credit) and list cost of all of the organization's usage. Filter on one `grouping`: each adds up to the "
    "day's totals.",
    natural_key=_ANALYTICS_NATURAL_KEY + ("cost_type", "token_type"),
    columns=_ANALYTICS_KEY + (
        dimension("cost_type", "group.cost_type"), dimension("token_type", "group.token_type"),
        text("currency", "cost.currency"),
        *money_cents("amount", "cost.amount", exact=True),
        *money_cents("list_amount", "cost.list_amount", exact=True),
        count("requests", "cost.requests", "null when grouped by cost type or token type"),
    ) + _ANALYTICS_TAIL,
)

BUCKETS_PER_REQUEST = 31  # the most 1-day buckets any bucketed report returns in one page
# A listing is held in memory until its last page; grouped by actor, a week is about 900 rows a day per
# 1,000 seats (emulator), so a year of a large organization is read a week at a time, not a month.
ANALYTICS_DAYS_PER_REQUEST = 7
SUMMARY_DAYS_PER_REQUEST = 31  # the summaries span limit of the original contract (newer docs allow 366)
_ENTERPRISE = "Claude Enterprise Analytics API (Analytics key)"
_ADMIN = "Admin Usage & Cost API (Admin key)"
_A = "/v1/organizations/analytics"


def _engagement(name: str, path: str, table: Table, query=None, pagination=Pagination.NEXT_PAGE, records=_data,
                days_per_request=1):
    return Endpoint(
        name=name, path=f"{_A}{path}", key_kind=KeyKind.ANALYTICS, group="enterprise_engagement",
        calendar=calendars.ENGAGEMENT, pagination=pagination,
        query=query or (lambda start, end: {"date": start.isoformat(), "limit": 1000}),
        records=records, tables=(table,), api=_ENTERPRISE, days_per_request=days_per_request,
    )


def _summaries(page: dict) -> list[dict]:
    """The newest shape has `data` and the deprecated `summaries` (same objects); older ones only `summaries`."""
    return page["summaries"] if isinstance(page.get("summaries"), list) else _data(page)


def _enterprise_cost_usage(name: str, path: str, table: Table, group_by: tuple[str, ...], bucketed: bool):
    def query(start: dt.date, end: dt.date) -> dict:
        q = {**_bounds(start, end), "group_by[]": list(group_by)}
        return {**q, "bucket_width": "1d", "limit": BUCKETS_PER_REQUEST} if bucketed else {**q, "limit": 1000}

    return Endpoint(
        name=name, path=f"{_A}{path}", key_kind=KeyKind.ANALYTICS, group="enterprise_usage_cost",
        calendar=calendars.ENTERPRISE_USAGE_COST, pagination=Pagination.HAS_MORE, query=query,
        records=_with_envelope(_bucket_results if bucketed else _data), tables=(table,), api=_ENTERPRISE,
        days_per_request=BUCKETS_PER_REQUEST if bucketed else 1, legacy=True,
    )


FAST_MODE_BETA = {"anthropic-beta": "fast-mode-2026-02-01"}  # grouping the Admin usage report by speed needs it
USAGE_COST_BETA = {"anthropic-beta": "analytics-usage-cost-2026-08-24"}  # the Usage and Cost Analytics API is beta
_USAGE_COST_API = "Usage and Cost Analytics API (beta; the organization's Analytics or Admin key)"
LEGACY_NOTE = "Legacy endpoint (still supported); the Usage and Cost Analytics API (claude_usage, claude_cost) is " \
    "recommended."


def _usage_cost_analytics(name: str, path: str, table: Table, groupings: tuple) -> Endpoint:
    return Endpoint(
        name=name, path=f"{_A}{path}", key_kind=None, group="usage_cost_analytics",
        calendar=calendars.USAGE_COST_ANALYTICS, pagination=Pagination.HAS_MORE,
        query=lambda start, end: {**_bounds(start, end), "time_bucket_width": "1d", "limit": 1000},
        records=_with_envelope(_data), tables=(table,), api=_USAGE_COST_API,
        days_per_request=ANALYTICS_DAYS_PER_REQUEST, headers=USAGE_COST_BETA, groupings=groupings,
    )


def _admin_report(name: str, path: str, table: Table, group_by: tuple[str, ...]):
    return Endpoint(
        name=name, path=path, key_kind=KeyKind.ADMIN, group="admin_usage_cost",
        calendar=calendars.ADMIN_USAGE_COST, pagination=Pagination.HAS_MORE,
        query=lambda start, end: {
            **_bounds(start, end), "bucket_width": "1d", "limit": BUCKETS_PER_REQUEST, "group_by[]": list(group_by)
        },
        records=_bucket_results, tables=(table,), api=_ADMIN, days_per_request=BUCKETS_PER_REQUEST,
        headers=FAST_MODE_BETA if "speed" in group_by else {}, legacy=True,
    )


ENDPOINTS: tuple[Endpoint, ...] = (
    CLAUDE_CODE_REPORT,
    _admin_report("api_messages_usage", "/v1/organizations/usage_report/messages", API_MESSAGES_USAGE,
                  MESSAGES_BY_KEY),
    _admin_report("api_messages_usage_by_geo", "/v1/organizations/usage_report/messages", API_MESSAGES_USAGE_BY_GEO,
                  MESSAGES_BY_GEO),
    _admin_report("api_cost", "/v1/organizations/cost_report", API_COST, ("workspace_id", "description")),
    _engagement("enterprise_user_activity", "/users", ENTERPRISE_USER_ACTIVITY),
    _engagement(
        "enterprise_summaries", "/summaries", ENTERPRISE_SUMMARIES, pagination=Pagination.NONE, records=_summaries,
        query=lambda start, end: {"starting_date": start.isoformat(), "ending_date": end.isoformat()},
        days_per_request=SUMMARY_DAYS_PER_REQUEST,
    ),
    _engagement("enterprise_chat_projects", "/apps/chat/projects", ENTERPRISE_CHAT_PROJECTS),
    _engagement("enterprise_skills", "/skills", ENTERPRISE_SKILLS),
    _engagement("enterprise_connectors", "/connectors", ENTERPRISE_CONNECTORS),
    _enterprise_cost_usage("enterprise_user_usage", "/user_usage_report", ENTERPRISE_USER_USAGE,
                           ("product", "model"), bucketed=False),
    _enterprise_cost_usage("enterprise_user_cost", "/user_cost_report", ENTERPRISE_USER_COST,
                           ("product", "model", "cost_type", "token_type"), bucketed=False),
    _enterprise_cost_usage("enterprise_usage", "/usage_report", ENTERPRISE_USAGE, ("product", "model"), bucketed=True),
    _enterprise_cost_usage("enterprise_cost", "/cost_report", ENTERPRISE_COST,
                           ("product", "model", "cost_type", "token_type"), bucketed=True),
    _usage_cost_analytics("claude_usage", "/usage", CLAUDE_USAGE, USAGE_GROUPINGS),
    _usage_cost_analytics("claude_cost", "/cost", CLAUDE_COST, COST_GROUPINGS),
)
RAW_ASSETS = tuple(asset for endpoint in ENDPOINTS for asset in endpoint.assets)  # every asset read from an API
RAW_TABLES = {table.asset: table for endpoint in ENDPOINTS for table in endpoint.tables}
