"""The inspection checklist a campaign's template gives its supervision groups.

The template text is stored with the campaign, so the checklist is read from it (once per campaign and
process) rather than copied into tables; an inspection freezes the list it was planned with.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from dalun.campaigns.models import Campaign, localized


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    text: dict[str, str]  # {"zh-hans": ..., "en": ...}

    @property
    def label(self) -> str:
        return localized(self.text)


@lru_cache(maxsize=64)
def _parsed(campaign_pk: int, template_source: str) -> tuple[ChecklistItem, ...]:
    from dalun.campaigns.services import parse_template

    template = parse_template(template_source, source=f"campaign {campaign_pk}")
    return tuple(
        ChecklistItem(item.key, item.text.model_dump(by_alias=True)) for item in template.inspection_checklist
    )


def campaign_checklist(campaign: Campaign) -> list[ChecklistItem]:
    """The campaign's checklist items in template order (empty if its template has none)."""
    return list(_parsed(campaign.pk, campaign.template_source))
