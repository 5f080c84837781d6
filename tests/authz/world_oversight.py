"""Supervision and formalism records of the matrix's world, built through their services.

Each place gets a supervision group led from its city (Taiyuan for Xiaodian, Changzhi for its county) with
that city's supervisor as member, a recorded inspection, a finding carrying the place's internal marker and an
evidence file, and a formalism alert raised by a real scan over slogan-only self-examination.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from dalun.formalism.models import Alert
from dalun.formalism.services import scan_campaign
from dalun.ledger import services as ledger_services
from dalun.org.models import Person, Unit
from dalun.org.policy import SYSTEM
from dalun.supervision import services as supervision
from dalun.supervision.models import Finding, FindingEvidence, Inspection, SupervisionGroup

from .world import CHANGZHI, INTERNAL_MARK, XIAODIAN, World, pdf

# Stock phrases with no substance: the slogan rule of the formalism scan fires on them.
SLOGANS = (
    "提高政治站位，强化责任担当，确保各项工作落到实处。",
    "坚持问题导向，压实主体责任，以钉钉子精神抓好整改落实，推动各项工作走深走实、落地见效。",
    "强化宗旨意识，践行初心使命，坚持以人民为中心的发展思想，全心全意为人民服务。",
)
LEADING_CITY = {XIAODIAN: "1401", CHANGZHI: "1404"}
SUPERVISOR = {XIAODIAN: "taiyuan_supervisor", CHANGZHI: "changzhi_supervisor"}


@dataclass
class Oversight:
    group: SupervisionGroup
    inspection: Inspection
    finding: Finding
    finding_evidence: FindingEvidence
    alert: Alert


def _supervise(world: World, place: str) -> tuple[SupervisionGroup, Inspection, Finding]:
    office, member = world.people["office"], world.people[SUPERVISOR[place]]
    unit, today = world[place].unit, timezone.localdate()
    group = supervision.group_create(
        actor=office,
        campaign=world.campaign,
        name=f"联络督导组（{place}）",
        leading_unit=Unit.objects.get(code=LEADING_CITY[place]),
    )
    supervision.member_add(actor=office, group=group, person=member, role="leader")
    supervision.coverage_add(actor=office, group=group, unit=unit)
    planned = supervision.inspection_plan(actor=office, group=group, unit=unit, planned_on=today)
    member = Person.objects.get(pk=member.pk)  # the membership granted a role: read the assignments again
    inspection = supervision.inspection_record(
        actor=member,
        inspection=planned,
        inspected_on=today,
        method="document_review",
        checked="问题清单、整改台账",
        answers={"ledger_specific": ("no", "问题清单以口号代替问题"), "leadership": ("yes", "")},
    )
    finding = supervision.finding_record(
        actor=member,
        unit=unit,
        campaign=world.campaign,
        text=f"督导发现：整改台账不实 {INTERNAL_MARK[place]}",
        inspection=inspection,
        uploads=[pdf("finding.pdf", INTERNAL_MARK[place])],
    )
    return group, inspection, finding


def _slogan_ledger(world: World, place: str) -> None:
    writer = Person.objects.get(username=f"clerk_{place}")
    category = world.campaign.categories.get(key="work_style")
    for text in SLOGANS:
        ledger_services.problem_create(
            actor=writer,
            ledger=world[place].ledger,
            category=category,
            manifestation=text,
            source="self",
            visibility="public",
        )


def add_oversight(world: World) -> dict[str, Oversight]:
    """Supervise both places, then scan the campaign so that each place has an alert."""
    built = {place: _supervise(world, place) for place in (XIAODIAN, CHANGZHI)}
    for place in built:
        _slogan_ledger(world, place)
    scan_campaign(actor=SYSTEM, campaign=world.campaign)
    oversight = {}
    for place, (group, inspection, finding) in built.items():
        alert = Alert.objects.filter(campaign=world.campaign, unit=world[place].unit).order_by("pk").first()
        assert alert is not None, f"the formalism scan raised no alert about {world[place].unit}"
        evidence = finding.evidence.order_by("pk").first()
        assert evidence is not None
        oversight[place] = Oversight(group, inspection, finding, evidence, alert)
    return oversight
