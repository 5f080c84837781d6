"""Creating campaigns from templates and deploying them down the tree."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.audit.services import audit_record
from dalun.campaigns.models import (
    Breakthrough,
    Campaign,
    Deployment,
    KeyLink,
    KeyLinkObligation,
    Phase,
    ProblemCategory,
    RequirementClass,
)
from dalun.campaigns.template import CampaignTemplate, load_template
from dalun.engines.workdays import Deadline
from dalun.ledger import rollups
from dalun.org import policy
from dalun.org.choices import UnitKind
from dalun.org.models import Unit
from dalun.workcalendar.selectors import deadline_after

_BATCH = 5000


class CampaignError(Exception):
    """A campaign cannot be created or deployed as asked; the message says why."""


def shipped_templates() -> dict[str, Path]:
    """The templates that ship with Dalun, by file stem."""
    folder = Path(settings.DALUN_CAMPAIGN_TEMPLATES_DIR)
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}


def parse_template(text: str, *, source: str) -> CampaignTemplate:
    """Validate a template against the organisation's unit kinds; raises TemplateError with line numbers."""
    return load_template(text, source=source, known_unit_kinds=UnitKind.values)


# A campaign starts in a year the working-day calendar and the template windows can hold.
FIRST_START_YEAR, LAST_START_YEAR = 2000, 2099


@transaction.atomic
def campaign_create(
    *,
    actor: Any,
    template_text: str,
    source: str,
    starts_on: datetime.date,
    owner_unit: Unit,
    key: str | None = None,
) -> Campaign:
    """Create a campaign and its whole vocabulary from a template starting on ``starts_on``."""
    policy.require(actor, "campaign.manage", owner_unit)
    if not FIRST_START_YEAR <= starts_on.year <= LAST_START_YEAR:  # the calendar's dates must stay valid
        raise CampaignError(
            _("The start date must lie between the years %(first)s and %(last)s.")
            % {"first": FIRST_START_YEAR, "last": LAST_START_YEAR}
        )
    template = parse_template(template_text, source=source)
    key = key or template.key
    if Campaign.objects.filter(key=key).exists():
        raise CampaignError(_("A campaign with the key %(key)s already exists.") % {"key": key})

    def day(offset: int) -> datetime.date:
        return starts_on + datetime.timedelta(days=offset)

    campaign = Campaign.objects.create(
        key=key,
        name=template.name.model_dump(by_alias=True),
        description=template.description.model_dump(by_alias=True),
        template_key=template.key,
        template_source=template_text,
        starts_on=starts_on,
        ends_on=day(template.duration_days - 1),
        deadlines=template.deadlines.model_dump(),
        owner_unit=owner_unit,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    RequirementClass.objects.bulk_create(
        RequirementClass(
            campaign=campaign,
            key=item.key,
            position=position,
            name=_text(item.name),
            unit_kinds=list(item.unit_kinds),
            requirements=[_text(r) for r in item.requirements],
        )
        for position, item in enumerate(template.requirement_classes, start=1)
    )
    ProblemCategory.objects.bulk_create(
        ProblemCategory(
            campaign=campaign,
            key=item.key,
            position=position,
            name=_text(item.name),
            symptom=_text(item.symptom),
            description=_text(item.description),
            examples=[_text(example) for example in item.examples],
        )
        for position, item in enumerate(template.problem_categories, start=1)
    )
    KeyLink.objects.bulk_create(
        KeyLink(
            campaign=campaign,
            key=item.key,
            position=position,
            name=_text(item.name),
            description=_text(item.description),
            starts_on=day(item.window.start_day),
            ends_on=day(item.window.end_day),
            applies_to=list(item.applies_to),
            evidence_required=item.evidence_required,
        )
        for position, item in enumerate(template.key_links, start=1)
    )
    Breakthrough.objects.bulk_create(
        Breakthrough(
            campaign=campaign,
            key=item.key,
            position=position,
            name=_text(item.name),
            description=_text(item.description),
        )
        for position, item in enumerate(template.breakthroughs, start=1)
    )
    Phase.objects.bulk_create(
        Phase(
            campaign=campaign,
            key=item.key,
            position=position,
            name=_text(item.name),
            starts_on=day(item.window.start_day),
            ends_on=day(item.window.end_day),
            allows=list(item.allows),
        )
        for position, item in enumerate(template.phases, start=1)
    )
    audit_record(
        actor=actor,
        action="campaign.create",
        obj=campaign,
        changes={"template": [None, template.key], "starts_on": [None, starts_on.isoformat()]},
    )
    return campaign


def _text(value: Any) -> dict[str, str]:
    return value.model_dump(by_alias=True) if value is not None else {}


@transaction.atomic
def campaign_deploy(*, actor: Any, campaign: Campaign, root: Unit) -> Deployment:
    """Send the campaign to ``root``'s subtree: each unit gets the key links its requirement class has.

    Deploying again, or to a subtree of an earlier deployment, adds only the obligations still missing.
    """
    policy.require(actor, "campaign.deploy", root)
    if not root.is_within(campaign.owner_unit):
        raise CampaignError(
            _("%(unit)s is outside the campaign's leading unit %(owner)s.")
            % {"unit": root.name, "owner": campaign.owner_unit.name}
        )
    deployment, _created = Deployment.objects.get_or_create(
        campaign=campaign,
        root=root,
        defaults={"deployed_by": actor if getattr(actor, "is_authenticated", False) else None},
    )
    class_of_kind = {kind: rc.key for rc in campaign.requirement_classes.all() for kind in rc.unit_kinds}
    links = list(campaign.key_links.all())
    links_of_kind = {
        kind: [link for link in links if link.applies_to_class(class_of_kind.get(kind))]
        for kind in UnitKind.values
    }
    subtree = Unit.objects.subtree_of(root)
    already = set(
        KeyLinkObligation.objects.filter(campaign=campaign, unit__in=subtree).values_list(
            "unit_id", "key_link_id"
        )
    )
    id_of_path = dict(Unit.objects.ancestors_of(root).values_list("path", "pk"))
    new_per_unit_link: dict[tuple[str, str], int] = {}  # (unit path, link key) -> 1 for each new obligation
    covered = 0
    batch: list[KeyLinkObligation] = []
    for unit_id, kind, path in subtree.values_list("pk", "kind", "path").iterator(chunk_size=_BATCH):
        covered += 1
        id_of_path[path] = unit_id
        for link in links_of_kind.get(kind, []):
            if (unit_id, link.pk) in already:
                continue
            batch.append(
                KeyLinkObligation(campaign=campaign, key_link=link, unit_id=unit_id, deployment=deployment)
            )
            new_per_unit_link[(path, link.key)] = 1
        if len(batch) >= _BATCH:
            KeyLinkObligation.objects.bulk_create(batch)
            batch = []
    KeyLinkObligation.objects.bulk_create(batch)
    created = len(new_per_unit_link)
    rollups.add_new_obligations(campaign_id=campaign.pk, id_of_path=id_of_path, new=new_per_unit_link)
    deployment.units_covered = covered
    deployment.obligations_created += created
    deployment.save(update_fields=["units_covered", "obligations_created"])
    audit_record(
        actor=actor,
        action="campaign.deploy",
        obj=deployment,
        changes={"units_covered": [None, covered], "obligations_created": [None, created]},
    )
    return deployment


def campaign_deadline(
    campaign: Campaign, key: str, default: int, *, start: datetime.date | None = None
) -> Deadline:
    """A deadline the campaign's template sets in working days (``deadlines.<key>``, else ``default``),
    counted from ``start`` (today) on the official calendar."""
    days = int(campaign.deadlines.get(key, default))
    return deadline_after(start or timezone.localdate(), days)


def phase_allows(campaign: Campaign, capability: str, *, on: datetime.date | None = None) -> bool:
    """Does the phase the campaign is in on ``on`` (today by default) open ``capability``?

    A campaign's days are the organisation's (``TIME_ZONE``), whoever asks."""
    day = on or timezone.localdate(timezone=timezone.get_default_timezone())
    return any(phase.covers(day) and capability in phase.allows for phase in campaign.phases.all())
