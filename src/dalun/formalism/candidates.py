"""What a rule hands the scan: one alert-to-be, with its key, records and explanation."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


def fingerprint(*parts: object) -> str:
    """A short hash of a record's text or state, as the scan saw it."""
    return hashlib.sha1("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:16]


@dataclass
class Candidate:
    """An alert the scan found: ``key`` names its records for the rule (stable across scans)."""

    rule: str
    unit_id: int
    key: str
    records: list[dict[str, Any]]  # {"ref": ..., "fp": ..., "unit": unit id}
    explanation: dict[str, Any]
    score: float = 0.0
    escalated_to_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def signature(self, campaign_id: int) -> str:
        return hashlib.sha256(f"{campaign_id}|{self.rule}|{self.key}".encode()).hexdigest()

    def records_fingerprint(self) -> str:
        state = sorted((record["ref"], record["fp"]) for record in self.records)
        return hashlib.sha256(json.dumps(state).encode()).hexdigest()
