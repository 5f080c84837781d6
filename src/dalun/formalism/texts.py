"""The one entry point for free text: every text source the scan compares, registered by name.

A source yields :class:`TextItem` rows (a reference to the record, its unit and campaign, the text) for one
campaign, read in bulk. The ledger's sources are registered here; a future app that stores free text calls
:func:`register` from its ``AppConfig.ready`` and the scan compares its texts too, with no other change.
Template texts (the campaign's example problems and requirements) are not any unit's work: they are read
by :func:`template_texts` and used only as the originals that units' texts may copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dalun.campaigns.models import Campaign


@dataclass(frozen=True)
class TextItem:
    """One text of one unit: ``ref`` is ``"<app_label.model>:<pk>"`` (``#n`` for a part of a record)."""

    ref: str
    unit_id: int
    text: str
    source: str


@dataclass(frozen=True)
class TextSource:
    """A kind of text: ``read(campaign)`` yields its items; ``self_examination`` texts count for slogans."""

    key: str
    label: str | Promise
    read: Callable[[Campaign], Iterator[TextItem]]
    self_examination: bool = True


SOURCES: dict[str, TextSource] = {}


def register(source: TextSource) -> TextSource:
    """Add (or replace) a text source; returns it, so it can decorate a module-level constant."""
    SOURCES[source.key] = source
    return source


def ref(label: str, pk: object, part: int | None = None) -> str:
    return f"{label}:{pk}" if part is None else f"{label}:{pk}#{part}"


def parse_ref(value: str) -> tuple[str, int, str]:
    """``"ledger.problem:12"`` -> ``("ledger.problem", 12, "")``; a part after ``#`` comes third."""
    label, _sep, rest = value.partition(":")
    pk, _hash, part = rest.partition("#")
    return label, int(pk), part


def iter_texts(campaign: Campaign) -> Iterator[TextItem]:
    """Every registered source's texts for ``campaign``."""
    for source in SOURCES.values():
        yield from source.read(campaign)


def _problems(campaign: Campaign) -> Iterator[TextItem]:
    from dalun.ledger.choices import ProblemSource
    from dalun.ledger.models import Problem

    rows = (
        Problem.objects.filter(campaign=campaign, source__in=[ProblemSource.SELF, ProblemSource.FIELD_VISIT])
        .values_list("pk", "unit_id", "manifestation")
        .order_by("pk")
    )
    for pk, unit_id, text in rows.iterator(chunk_size=5000):
        yield TextItem(ref("ledger.problem", pk), unit_id, text, "ledger.problem")


def _measures(campaign: Campaign) -> Iterator[TextItem]:
    from dalun.ledger.models import Measure

    rows = Measure.objects.filter(campaign=campaign).values_list("pk", "unit_id", "action").order_by("pk")
    for pk, unit_id, text in rows.iterator(chunk_size=5000):
        yield TextItem(ref("ledger.measure", pk), unit_id, text, "ledger.measure")


def _keylink_notes(campaign: Campaign) -> Iterator[TextItem]:
    from dalun.ledger.models import KeyLinkProgress

    rows = (
        KeyLinkProgress.objects.filter(campaign=campaign)
        .exclude(note="")
        .values_list("pk", "unit_id", "note")
        .order_by("pk")
    )
    for pk, unit_id, text in rows.iterator(chunk_size=5000):
        yield TextItem(ref("ledger.keylinkprogress", pk), unit_id, text, "ledger.keylinkprogress")


def _progress_notes(campaign: Campaign) -> Iterator[TextItem]:
    from dalun.ledger.choices import EventKind
    from dalun.ledger.models import Event

    rows = (
        Event.objects.filter(ledger__campaign=campaign, kind=EventKind.PROGRESS)
        .exclude(text="")
        .values_list("pk", "ledger__unit_id", "text")
        .order_by("pk")
    )
    for pk, unit_id, text in rows.iterator(chunk_size=5000):
        yield TextItem(ref("ledger.event", pk), unit_id, text, "ledger.event")


register(TextSource("ledger.problem", _("Problem"), _problems))
register(TextSource("ledger.measure", _("Measure"), _measures))
register(TextSource("ledger.keylinkprogress", _("Key-link note"), _keylink_notes, self_examination=False))
register(TextSource("ledger.event", _("Progress note"), _progress_notes, self_examination=False))


@dataclass(frozen=True)
class TemplateText:
    ref: str
    text: str


def template_texts(campaign: Campaign) -> list[TemplateText]:
    """The campaign template's example problems and requirements, in Chinese and English."""
    found: list[TemplateText] = []
    for category in campaign.categories.all():
        for number, example in enumerate(category.examples or []):
            for language, text in sorted((example or {}).items()):
                if text:
                    found.append(
                        TemplateText(f"campaigns.problemcategory:{category.pk}#{number}.{language}", text)
                    )
    for klass in campaign.requirement_classes.all():
        for number, requirement in enumerate(klass.requirements or []):
            for language, text in sorted((requirement or {}).items()):
                if text:
                    found.append(
                        TemplateText(f"campaigns.requirementclass:{klass.pk}#{number}.{language}", text)
                    )
    return found
