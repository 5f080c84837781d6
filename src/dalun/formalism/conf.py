"""The scan's thresholds: ``settings.DALUN_FORMALISM`` over these defaults (see docs/formalism.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Copied work: exact Jaccard of word pairs (after masking the unit's own name) at or above this.
    "copied_threshold": 0.8,
    "template_threshold": 0.8,
    "copied_min_words": 8,  # shorter texts ("已按要求完成") are not compared
    "copied_max_units": 10,  # a text shared by more units is a campaign-wide formula, not a copy
    "passage_min_words": 4,  # shortest highlighted shared passage
    # Slogans: engine score threshold and fact discount; a ledger fires when enough of its texts are slogans.
    "slogan_threshold": 0.4,
    "slogan_fact_discount": 0.5,
    "slogan_min_words": 6,
    "slogan_ledger_share": 0.5,
    "slogan_ledger_min_texts": 2,
    "learn_stock_phrases": False,  # also treat phrases recurring across many units as stock
    "learn_min_units": 20,
    "learn_min_share": 0.05,
    # Blame-shifting: outward share of the attributed clauses.
    "blame_threshold": 0.6,
    # Motions without action.
    "min_problems": 2,  # a submitted or accepted ledger with fewer problems fires
    "min_problems_grassroots": 1,  # the same for villagers' and residents' committees
    "deadline_day_min": 3,  # at least this many measures closed exactly on their deadline ...
    "deadline_day_share": 0.5,  # ... making up at least this share of the unit's closed measures
    "burst_days": 3,  # a window of this many days ...
    "burst_min": 5,  # ... holding at least this many closures ...
    "burst_share": 0.6,  # ... and this share of all the unit's closures
    "burst_before_inspection_days": 7,  # closures in the days before an inspection of the unit ...
    "burst_min_before_inspection": 3,  # ... fire from this many, whatever their share
    # Neglect: days past the deadline before an item counts as neglected.
    "overdue_grace_days": 0,
    # Digest: deadlines in the next N working days.
    "digest_working_days": 5,
    # Where the near-duplicate index is kept between scans (default VAR_DIR/formalism).
    "index_dir": None,
    # Key prefix of the index in Redis (used instead of the file when DALUN_CACHE_URL is a Redis URL).
    "redis_prefix": "dalun:formalism",
}


def thresholds() -> dict[str, Any]:
    """The effective thresholds: the settings dict over the defaults (unknown keys are an error)."""
    configured = dict(getattr(settings, "DALUN_FORMALISM", {}) or {})
    unknown = sorted(set(configured) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown DALUN_FORMALISM keys: {', '.join(unknown)}")
    return {**DEFAULTS, **configured}
