"""List prices as exact integers: one unit is 1e-7 cent, small enough that every list price,
cache multiplier and the batch discount is a whole number of units per token.

Cost reports carry decimal strings of cents with six places ("41280.000000"); the Claude
Code report carries an integer estimate in cents. Both derive from the same token counts.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from . import catalog

UNITS_PER_CENT = 10_000_000
WEB_SEARCH_UNITS = int(catalog.WEB_SEARCH_CENTS * UNITS_PER_CENT)
_SIX = Decimal("0.000001")


def _rates(model: catalog.Model, tier_factor: Decimal) -> tuple[int, ...]:
    per_mtok = Decimal(UNITS_PER_CENT) * 100 / 1_000_000 * tier_factor  # units per token per USD/MTok
    rates = []
    for token_type in catalog.TOKEN_TYPES:
        price = model.output_usd if token_type == "output_tokens" else model.input_usd * catalog.TOKEN_TYPE_PRICE[token_type]
        rate = price * per_mtok
        if rate != rate.to_integral_value():
            raise ValueError(f"{model.id} {token_type}: price is not a whole number of units per token")
        rates.append(int(rate))
    return tuple(rates)


# model id -> service tier -> units per token, in catalog.TOKEN_TYPES order
RATES = {
    m.id: {"standard": _rates(m, Decimal(1)), "batch": _rates(m, catalog.BATCH_DISCOUNT)} for m in catalog.MODELS
}


def token_units(model: str, tokens: tuple[int, int, int, int, int], tier: str = "standard") -> list[int]:
    """List price in units of each token type; `tokens` = (uncached, output, cache_read, 5m, 1h)."""
    return [n * rate for n, rate in zip(tokens, RATES[model][tier])]


def whole_cents(units: int) -> int:
    """Round half up to whole cents (the Claude Code report's estimate)."""
    return (units + UNITS_PER_CENT // 2) // UNITS_PER_CENT


def cents_string(units: int) -> str:
    """`41280.000000`: cents with exactly six decimals."""
    return str((Decimal(units) / UNITS_PER_CENT).quantize(_SIX, rounding=ROUND_HALF_UP))


def discounted(list_units: int) -> int:
    """The Enterprise post-discount amount for a list amount (rounded to a unit)."""
    keep = 1 - catalog.ENTERPRISE_DISCOUNT
    return int((Decimal(list_units) * keep).to_integral_value(rounding=ROUND_HALF_UP))
