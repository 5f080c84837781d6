"""Template helpers shared by every page."""

from django import template

from dalun.campaigns.choices import CAPABILITY_LABELS
from dalun.campaigns.models import localized
from dalun.org.choices import UnitKind

register = template.Library()


@register.filter
def loc(text: dict[str, str] | None) -> str:
    """Show a two-language template text in the active language."""
    return localized(text)


@register.filter
def percent(fraction: float) -> int:
    return round(float(fraction or 0) * 100)


@register.filter
def kind_label(kind: str) -> str:
    """The translated label of a unit kind key."""
    return str(UnitKind(kind).label) if kind in UnitKind.values else kind


@register.filter
def capability_label(capability: str) -> str:
    """The translated label of a phase capability such as ``ledger.edit``."""
    return str(CAPABILITY_LABELS.get(capability, capability))
