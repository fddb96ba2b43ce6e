"""Static vocabulary of the synthetic organization: models and list prices, terminals,
skills, connectors, plugins, artifact types, groups, names and Admin API workspaces.

Kept as data so the generator reads as behaviour and the vocabulary can grow in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Model:
    """A model id with its release day and list prices in USD per million tokens."""

    id: str
    display: str
    family: str
    released: date
    input_usd: Decimal
    output_usd: Decimal
    long_context: bool


MODELS: tuple[Model, ...] = (
    Model("claude-3-5-haiku", "Claude Haiku 3.5", "haiku", date(2024, 10, 22), Decimal("0.8"), Decimal("4"), False),
    Model("claude-haiku-4-5", "Claude Haiku 4.5", "haiku", date(2025, 10, 15), Decimal("1"), Decimal("5"), False),
    Model("claude-sonnet-4", "Claude Sonnet 4", "sonnet", date(2025, 5, 22), Decimal("3"), Decimal("15"), True),
    Model("claude-sonnet-4-5", "Claude Sonnet 4.5", "sonnet", date(2025, 9, 29), Decimal("3"), Decimal("15"), True),
    Model("claude-sonnet-4-6", "Claude Sonnet 4.6", "sonnet", date(2026, 2, 17), Decimal("3"), Decimal("15"), True),
    Model("claude-opus-4-1", "Claude Opus 4.1", "opus", date(2025, 8, 5), Decimal("15"), Decimal("75"), False),
    Model("claude-opus-4-5", "Claude Opus 4.5", "opus", date(2025, 11, 24), Decimal("5"), Decimal("25"), False),
    Model("claude-opus-4-6", "Claude Opus 4.6", "opus", date(2026, 2, 5), Decimal("5"), Decimal("25"), True),
)
MODELS_BY_ID = {m.id: m for m in MODELS}

# Models released before this day report inference_geo "not_available" (API reference §3.1).
GEO_REPORTING_SINCE = date(2026, 2, 1)

# Multipliers on the input price for each token type (Anthropic's published cache pricing).
TOKEN_TYPE_PRICE = {
    "uncached_input_tokens": Decimal("1"),
    "cache_read_input_tokens": Decimal("0.1"),
    "cache_creation.ephemeral_5m_input_tokens": Decimal("1.25"),
    "cache_creation.ephemeral_1h_input_tokens": Decimal("2"),
}
TOKEN_TYPES = (
    "uncached_input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
)
TOKEN_TYPE_LABEL = {
    "uncached_input_tokens": "Input Tokens",
    "output_tokens": "Output Tokens",
    "cache_read_input_tokens": "Input Tokens (Cache Read)",
    "cache_creation.ephemeral_5m_input_tokens": "Input Tokens (5m Cache Write)",
    "cache_creation.ephemeral_1h_input_tokens": "Input Tokens (1h Cache Write)",
}
WEB_SEARCH_CENTS = Decimal("1")  # $10 per 1,000 searches
BATCH_DISCOUNT = Decimal("0.5")
ENTERPRISE_DISCOUNT = Decimal("0.2")  # the org's negotiated discount: amount = 80 % of list_amount

TERMINALS = ("vscode", "iTerm.app", "tmux", "cursor", "Apple_Terminal", "WezTerm", "ghostty", "pycharm")
TERMINAL_WEIGHTS = (30, 22, 14, 12, 8, 5, 5, 4)

ENTERPRISE_PRODUCTS = ("chat", "claude_code", "cowork", "office_agent", "claude_in_chrome", "claude_design")
OFFICE_APPS = ("excel", "outlook", "powerpoint", "word")
CONTEXT_WINDOWS = ("0-200k", "200k-1M")
INFERENCE_GEOS = ("global", "us", "not_available")
SPEEDS = ("fast", "standard")
SERVICE_TIERS = ("standard", "batch", "priority", "priority_on_demand", "flex", "flex_discount")

SKILLS: tuple[tuple[str, str, str], ...] = (  # (skill_name, display name, share_status)
    ("brand-guidelines", "Brand guidelines", "organization"),
    ("code-review", "Code review", "organization"),
    ("data-analysis", "Data analysis", "public"),
    ("docx", "Word documents", "public"),
    ("incident-postmortem", "Incident postmortem", "private"),
    ("pdf", "PDF tools", "public"),
    ("pptx", "PowerPoint decks", "public"),
    ("xlsx", "Excel workbooks", "public"),
)
CONNECTORS: tuple[tuple[str, str], ...] = (  # (normalized connector_name, display name)
    ("atlassian", "Atlassian"),
    ("github", "GitHub"),
    ("gmail", "Gmail"),
    ("google_drive", "Google Drive"),
    ("linear", "Linear"),
    ("notion", "Notion"),
    ("salesforce", "Salesforce"),
    ("slack", "Slack"),
)
PLUGINS = ("code-review", "commit-commands", "frontend-design", "pr-review-toolkit", "security-guidance")
ARTIFACT_TYPES = (
    "application/vnd.ant.code",
    "application/vnd.ant.mermaid",
    "application/vnd.ant.react",
    "image/svg+xml",
    "text/html",
    "text/markdown",
)
RBAC_GROUPS = ("Engineering", "Data", "Product", "Design", "Sales", "Support", "Finance", "Legal")
PROJECT_TOPICS = (
    "Onboarding", "Roadmap", "Customer research", "Incident reviews", "Pricing", "Hiring",
    "Security questionnaires", "Release notes", "Sales playbook", "Board deck", "Data dictionary",
    "Support macros", "Design system", "Legal templates", "Quarterly planning", "API docs",
)
COMPANIES = ("northwind", "contoso", "fabrikam", "globex", "initech", "umbrella", "acme", "tailspin")
FIRST_NAMES = (
    "ana", "ben", "chloe", "dmitri", "elena", "farah", "gabriel", "hana", "ivan", "julia", "kwame",
    "lena", "marco", "nadia", "oscar", "priya", "quinn", "rosa", "sami", "tomas", "uma", "victor",
    "wen", "ximena", "yusuf", "zoe", "aiko", "bruno", "carmen", "diego", "emeka", "fatima", "goran",
    "ingrid", "jonas", "leila", "mateo", "noor", "olga", "pablo",
)
LAST_NAMES = (
    "silva", "okafor", "nguyen", "kowalski", "haddad", "tanaka", "muller", "rossi", "novak", "garcia",
    "andersen", "mensah", "petrov", "kim", "lopez", "dubois", "yilmaz", "schmidt", "costa", "ali",
    "berg", "chen", "davies", "eriksen", "fischer", "gupta", "hansen", "ito", "jensen", "khan",
)

# Admin API (Console) side of the organization: workspaces and the non-user API keys.
WORKSPACES = {"claude_code": "Claude Code", "automation": "Automation", "production": "Production"}
API_ACTOR_KEYS = ("ci-code-review", "nightly-refactor-bot")  # Claude Code run with API keys
APP_KEYS = (  # (key name, workspace or None = default workspace, service tier, model family)
    ("support-assistant", "production", "standard", "sonnet"),
    ("doc-summarizer", None, "batch", "haiku"),
)


def model_for(family: str, day: date) -> Model:
    """The newest model of a family released on or before `day` (the oldest one before that)."""
    lineage = [m for m in MODELS if m.family == family]
    current = lineage[0]
    for m in lineage:
        if m.released <= day:
            current = m
    return current
