"""Price modifiers a response reports about itself: where inference ran and at which tier.

The list price (engine/price_database.py) is the `global`, `standard` price. Two fields of
a response's `usage` change what that one request costs, on every token bucket alike:

- `inference_geo: "us"`: inference kept in the US costs 1.1x on Opus 4.6, Sonnet 4.6 and
  every later model; earlier models refuse the parameter with a 400.
  Source: platform.claude.com docs, about-claude/pricing#data-residency-pricing and
  manage-claude/data-residency (checked 2026-12-06). genai-prices 0.2.5 has no such rule.
- `service_tier: "batch"`: the Batch API's 50% discount (same pricing page). `priority` is
  billed under a customer's own commitment, which no public list states, so it is priced at
  list and the tier kept on the record.

Only what differs from the list price is recorded (`TurnUsage.billing`), so a standard
call's line, and every figure derived from it, is what it was before this rule existed.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.claude_models import claude_version

INFERENCE_GEOS = ("global", "us")
US_INFERENCE_FACTOR = 1.1
BATCH_FACTOR = 0.5
# The first models that accept `inference_geo` (and are priced by it).
_FIRST_GEO_VERSION = (4, 6)


def accepts_inference_geo(model: str) -> bool:
    """Whether `model` takes the `inference_geo` parameter (Opus 4.6, Sonnet 4.6 and later)."""
    read = claude_version(model)
    return read is not None and read[0] != "fable" and read[1] >= _FIRST_GEO_VERSION


def billing_of(inference_geo: object, service_tier: object) -> dict[str, str]:
    """What a response's usage says that changes its price; empty for a standard call."""
    billing: dict[str, str] = {}
    if inference_geo == "us":
        billing["inference_geo"] = "us"
    if isinstance(service_tier, str) and service_tier not in ("", "standard"):
        billing["service_tier"] = service_tier
    return billing


def price_factor(model: str, billing: Mapping[str, str]) -> float:
    """The multiplier on `model`'s list price for a call billed as `billing` says."""
    factor = 1.0
    if billing.get("inference_geo") == "us" and accepts_inference_geo(model):
        factor *= US_INFERENCE_FACTOR
    if billing.get("service_tier") == "batch":
        factor *= BATCH_FACTOR
    return factor


def billing_label(billing: Mapping[str, str]) -> str:
    """A few words for a screen: "US inference 1.1x", "" for a standard call."""
    parts = []
    if billing.get("inference_geo") == "us":
        parts.append(f"US inference {US_INFERENCE_FACTOR:g}x")
    tier = billing.get("service_tier")
    if tier == "batch":
        parts.append(f"batch {BATCH_FACTOR:g}x")
    elif tier:
        parts.append(f"{tier} tier at list price")
    return ", ".join(parts)
