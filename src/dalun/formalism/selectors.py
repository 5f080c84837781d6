"""Reads of the formalism scan, scoped by the policy: alert lists, one alert with its records, counts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from dalun.campaigns.models import Campaign
from dalun.formalism.choices import AlertKind, AlertStatus
from dalun.formalism.models import Alert, ScanRun
from dalun.org import paths
from dalun.org.models import Unit


def alert_list(
    *,
    actor: Any,
    campaign: Campaign | None = None,
    kind: str = "",
    status: str = "",
    unit: Unit | None = None,
) -> QuerySet[Alert]:
    """Alerts in the actor's scope, newest first, filtered by kind, status and subtree."""
    alerts = Alert.objects.visible_to(actor).select_related("unit", "campaign", "escalated_to")
    if campaign is not None:
        alerts = alerts.filter(campaign=campaign)
    if kind in AlertKind.values:
        alerts = alerts.filter(kind=kind)
    if status in AlertStatus.values:
        alerts = alerts.filter(status=status)
    if unit is not None:
        alerts = alerts.filter(unit__path__gte=unit.path, unit__path__lt=paths.subtree_upper_bound(unit.path))
    return alerts


def alert_get(*, actor: Any, alert_id: int) -> Alert:
    """One alert, or 404 alike for "does not exist" and "not yours"."""
    alert = (
        Alert.objects.visible_to(actor)
        .select_related("unit", "campaign", "escalated_to", "decided_by")
        .filter(pk=alert_id)
        .first()
    )
    if alert is None:
        raise Http404
    return alert


def alert_counts(*, actor: Any, unit: Unit, campaign: Campaign) -> dict[str, dict[str, int]]:
    """kind -> {"open", "confirmed", "dismissed"} over ``unit``'s subtree, within the actor's scope."""
    counts = {kind: {"open": 0, "confirmed": 0, "dismissed": 0} for kind in AlertKind.values}
    rows = (
        alert_list(actor=actor, campaign=campaign, unit=unit)
        .filter(status__in=[AlertStatus.OPEN, AlertStatus.CONFIRMED, AlertStatus.DISMISSED])
        .order_by()
        .values_list("kind", "status")
        .annotate(count=Count("pk"))
    )
    for kind, status, count in rows:
        counts[kind][status] = count
    return counts


def last_scan(*, campaign: Campaign | None = None) -> ScanRun | None:
    runs = ScanRun.objects.all()
    if campaign is not None:
        runs = runs.filter(campaign=campaign)
    return runs.first()


@dataclass
class RecordLink:
    ref: str
    label: str
    url: str
    text: str


def record_links(alert: Alert) -> dict[str, RecordLink]:
    """The records behind an alert, looked up in one query per model, with a link to each."""
    wanted: dict[str, set[int]] = defaultdict(set)
    refs = [record["ref"] for record in alert.records]
    for text in alert.explanation.get("texts", []):
        refs.append(text["ref"])
    for ref in refs:
        label, _sep, rest = ref.partition(":")
        wanted[label].add(int(rest.partition("#")[0]))
    found: dict[tuple[str, int], Any] = {}
    for label, pks in wanted.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        for obj in model._default_manager.filter(pk__in=pks):
            found[(label, obj.pk)] = obj
    links: dict[str, RecordLink] = {}
    for ref in refs:
        label, _sep, rest = ref.partition(":")
        obj = found.get((label, int(rest.partition("#")[0])))
        url = ""
        if obj is not None and hasattr(obj, "get_absolute_url"):
            try:
                url = obj.get_absolute_url()
            except Exception:  # noqa: BLE001 - a record without a page is listed without a link
                url = ""
        links[ref] = RecordLink(
            ref, str(obj._meta.verbose_name) if obj is not None else label, url, str(obj or "")
        )
    return links


def highlighted(text: str, spans: list[list[Any]]) -> SafeString:
    """``text`` escaped, each ``[start, end, kind?]`` span wrapped in ``<mark>`` (spans may not overlap)."""
    out: list[str] = []
    at = 0
    for span in sorted(spans, key=lambda item: (item[0], item[1])):
        start, end = int(span[0]), int(span[1])
        kind = str(span[2]) if len(span) > 2 else "match"
        if start < at or end <= start or end > len(text):
            continue
        out.append(escape(text[at:start]))
        out.append(f'<mark class="hl-{escape(kind)}">{escape(text[start:end])}</mark>')
        at = end
    out.append(escape(text[at:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped
