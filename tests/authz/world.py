"""The data the authorization matrix runs against, built once per test module through the services.

Two places: Xiaodian District (Taiyuan), where most personas hold their roles, and a county of Changzhi City,
outside the subtrees of everyone in Taiyuan. Each place has a public and an internal problem with a measure
and an evidence file each, a key-link obligation, a published suggestion routed to it (with contact details
and an attachment), an open opinion map and a unit import job. A pending suggestion, seen only by the
moderators, carries contact details too.

Distinctive marker strings are planted in every internal record and every contact: the matrix checks that
no answer carries a marker to someone the policy does not entitle to it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dalun.campaigns.models import Campaign, KeyLinkObligation
from dalun.campaigns.services import campaign_create, campaign_deploy, shipped_templates
from dalun.demo.campaign import demo_campaign_start
from dalun.ledger import services as ledger_services
from dalun.ledger.models import Evidence, Ledger, Measure, Problem
from dalun.opinions import services as opinion_services
from dalun.opinions.choices import MapStatus
from dalun.opinions.models import OpinionMap
from dalun.org.choices import Role
from dalun.org.imports import import_job_create
from dalun.org.models import ImportJob, Person, Unit
from dalun.org.policy import SYSTEM
from dalun.org.services import person_create, role_assign
from dalun.voices import services as voice_services
from dalun.voices.models import Attachment, Suggestion

XIAODIAN, CHANGZHI = "xiaodian", "changzhi"
PLACES = (XIAODIAN, CHANGZHI)
# Units above the places, for the routes over a whole subtree (lists, exports, dashboards): Xiaodian's city
# and the province, where most actors hold no role but whose subtrees hold both places' records.
SCOPES = {"taiyuan": "1401", "province": "14"}
PASSWORD = "authz-matrix"

# Marker strings: ASCII, so that they are found in HTML, JSON (which escapes Chinese), CSV and files alike.
INTERNAL_MARK = {XIAODIAN: "LEAKMARK-INTERNAL-XIAODIAN", CHANGZHI: "LEAKMARK-INTERNAL-CHANGZHI"}
PERSON_MARK = {XIAODIAN: "LEAKMARK-PERSON-XIAODIAN", CHANGZHI: "LEAKMARK-PERSON-CHANGZHI"}
UNPUBLISHED_MARK = "LEAKMARK-UNPUBLISHED"  # in the text of the suggestion awaiting moderation
CONTACT_MARK = {
    XIAODIAN: "leakmark.contact.xiaodian@example.org",
    CHANGZHI: "leakmark.contact.changzhi@example.org",
    "pending": "leakmark.contact.pending@example.org",
}

# Who acts: the personas of DESIGN.md §10, a supervisor assigned elsewhere (Changzhi), the system
# administrator, and the anonymous public.
PERSONA_ACTORS = (
    "xiaodian_clerk",
    "xiaodian_head",
    "field_cadre",
    "yingze_clerk",
    "changzhi_head",
    "taiyuan_supervisor",
    "moderator",
    "assessor",
    "office",
)
ELSEWHERE_SUPERVISOR = "changzhi_supervisor"
ROOT = "authz_root"
ANONYMOUS = "anonymous"
ACTORS = (ANONYMOUS, *PERSONA_ACTORS, ELSEWHERE_SUPERVISOR, ROOT)

# The smallest PDF the content check accepts, with room for a marker in a comment line.
PDF = b"%%PDF-1.4\n%% %s\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%%%EOF\n"


def pdf(name: str, mark: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF % mark.encode(), content_type="application/pdf")


@dataclass
class Place:
    """The records of one place (a unit and what belongs to it)."""

    name: str
    unit: Unit
    ledger: Ledger
    problem: dict[str, Problem]  # by visibility: "public", "internal"
    measure: dict[str, Measure]
    evidence: dict[str, Evidence]
    obligation: KeyLinkObligation
    suggestion: Suggestion
    attachment: Attachment
    opinion_map: OpinionMap
    import_job: ImportJob
    campaign: Campaign  # a campaign led from this side (the province's, or Changzhi's own)


@dataclass
class World:
    campaign: Campaign
    places: dict[str, Place]
    pending: Suggestion  # awaiting moderation, concerning Xiaodian, not routed
    people: dict[str, Person] = field(default_factory=dict)
    oversight: dict[str, Any] = field(default_factory=dict)  # place -> world_oversight.Oversight
    actors: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, place: str) -> Place:
        return self.places[place]

    def unit(self, place: str) -> Unit:
        """The unit of a place, or of a scope above the places (``taiyuan``, ``province``)."""
        if place in self.places:
            return self.places[place].unit
        return Unit.objects.get(code=SCOPES[place])

    def actor(self, name: str) -> Any:
        """The actor, read once per module (the policy caches its role assignments on the object; no route
        of the matrix changes anyone's roles)."""
        if name == ANONYMOUS:
            return AnonymousUser()
        if name not in self.actors:
            self.actors[name] = Person.objects.get(pk=self.people[name].pk)
        return self.actors[name]


def _problem(writer: Person, ledger: Ledger, campaign: Campaign, visibility: str, text: str) -> Problem:
    return ledger_services.problem_create(
        actor=writer,
        ledger=ledger,
        category=campaign.categories.order_by("position")[0],
        manifestation=text,
        source="self",
        visibility=visibility,
    )


def _measure(writer: Person, problem: Problem, action: str) -> Measure:
    return ledger_services.measure_create(
        actor=writer,
        problem=problem,
        action=action,
        indicator="办理时限",
        baseline=Decimal("15"),
        target=Decimal("5"),
        target_unit="天",
        owner="责任人",
        working_days=20,
    )


def _suggestion(
    campaign: Campaign,
    unit: Unit,
    contact: str,
    *,
    title: str,
    text: str = "建议公开整改进展，方便群众监督。",
) -> Suggestion:
    return voice_services.suggestion_submit(
        campaign=campaign,
        title=title,
        text=text,
        concerns_unit=unit,
        contact=contact,
        attachments=[pdf("photo.pdf", "attachment")],
    )


def _person(username: str, display_name: str, role: str, unit: Unit) -> Person:
    person = person_create(actor=SYSTEM, username=username, display_name=display_name, password=PASSWORD)
    role_assign(actor=SYSTEM, person=person, role=role, unit=unit)
    return person


def _place(
    name: str, unit: Unit, campaign: Campaign, led: Campaign, people: dict[str, Person], importer: str
) -> Place:
    """The records of one place, written by its own clerk, moderated by the moderator persona."""
    writer = _person(f"clerk_{name}", f"Clerk {name}", Role.CLERK, unit)
    moderator = people["moderator"]
    ledger = ledger_services.ledger_open(actor=writer, unit=unit, campaign=campaign)
    mark = INTERNAL_MARK[name]
    problems = {
        "public": _problem(writer, ledger, campaign, "public", f"审批时限长，群众多次跑腿（{name} public）"),
        "internal": _problem(writer, ledger, campaign, "internal", f"干部作风问题线索 {mark}"),
    }
    measures = {
        "public": _measure(writer, problems["public"], "推行一窗受理、限时办结"),
        "internal": _measure(writer, problems["internal"], f"约谈整改 {mark}"),
    }
    evidence = {
        visibility: ledger_services.evidence_attach(
            actor=writer,
            measure=measures[visibility],
            upload=pdf(f"{visibility}.pdf", mark if visibility == "internal" else "public evidence"),
        )
        for visibility in ("public", "internal")
    }
    _person(f"marker_{name}", PERSON_MARK[name], Role.CLERK, unit)
    suggestion = _suggestion(campaign, unit, CONTACT_MARK[name], title=f"建议公开整改进展（{name}）")
    suggestion = voice_services.suggestion_publish(actor=moderator, suggestion=suggestion)
    suggestion = voice_services.suggestion_route(actor=moderator, suggestion=suggestion, unit=unit)
    opinion_map = opinion_services.opinion_map_create(
        actor=moderator,
        campaign=campaign,
        question=f"如何改进政务服务？（{name}）",
        unit=unit,
        statements=["政务服务中心应当周末开放", "审批材料应当再精简"],
    )
    opinion_map = opinion_services.opinion_map_update(
        actor=moderator, opinion_map=opinion_map, status=MapStatus.OPEN
    )
    job = import_job_create(
        actor=people[importer],
        upload=SimpleUploadedFile("units.csv", b"code,name\n", content_type="text/csv"),
        encoding="utf-8",
        language="en",
    )
    obligation = KeyLinkObligation.objects.filter(unit=unit, campaign=campaign).order_by("pk").first()
    assert obligation is not None, f"the campaign gives {unit} no key link"
    # Key-link evidence belongs to no problem: it is the unit's internal record.
    link, today = obligation.key_link, timezone.localdate()
    assert link.starts_on <= today, f"the key link {link.key} has not started yet"
    progress = ledger_services.keylink_report(
        actor=writer,
        obligation=obligation,
        status="in_progress",
        reported_on=min(today, link.ends_on),
        note="动员部署会已召开",
        upload=pdf("keylink.pdf", mark),
    )
    evidence["keylink"] = progress.evidence.get()
    return Place(
        name=name,
        unit=unit,
        ledger=ledger,
        problem=problems,
        measure=measures,
        evidence=evidence,
        obligation=obligation,
        suggestion=suggestion,
        attachment=suggestion.attachments.get(),
        opinion_map=opinion_map,
        import_job=job,
        campaign=led,
    )


def build_world() -> World:
    """Create everything through the services, as the system (the caller rolls it all back)."""
    today = timezone.localdate()
    province, xiaodian, changzhi_city = (Unit.objects.get(code=code) for code in ("14", "140105", "1404"))
    county = Unit.objects.filter(parent=changzhi_city).order_by("code").first()
    assert county is not None, "the test slice has no county of Changzhi"
    text = shipped_templates()["big-discussion"].read_text(encoding="utf-8")
    campaign = campaign_create(
        actor=SYSTEM,
        template_text=text,
        source="big-discussion.yaml",
        starts_on=demo_campaign_start(today),
        owner_unit=province,
    )
    for root in (xiaodian, county):
        campaign_deploy(actor=SYSTEM, campaign=campaign, root=root)
    # A campaign led by Changzhi itself, started earlier so that the province's stays the current one.
    changzhi_campaign = campaign_create(
        actor=SYSTEM,
        template_text=text,
        source="big-discussion.yaml",
        starts_on=demo_campaign_start(today) - datetime.timedelta(days=364),
        owner_unit=changzhi_city,
        key="authz-changzhi",
    )
    people = {p.username: p for p in Person.objects.filter(username__in=PERSONA_ACTORS)}
    missing = set(PERSONA_ACTORS) - set(people)
    assert not missing, f"personas missing from the test database: {sorted(missing)}"
    people[ELSEWHERE_SUPERVISOR] = _person(
        ELSEWHERE_SUPERVISOR, "督导组 (长治市)", Role.SUPERVISOR, changzhi_city
    )
    # The system administrator, made as `dalun createsuperuser` makes one.
    people[ROOT] = Person.objects.create_superuser(username=ROOT, password=PASSWORD)
    places = {
        XIAODIAN: _place(XIAODIAN, xiaodian, campaign, campaign, people, "xiaodian_head"),
        CHANGZHI: _place(CHANGZHI, county, campaign, changzhi_campaign, people, "changzhi_head"),
    }
    pending = _suggestion(
        campaign,
        xiaodian,
        CONTACT_MARK["pending"],
        title="建议减少基层填表（待审核）",
        text=f"基层报表太多，建议合并。{UNPUBLISHED_MARK}",
    )
    world = World(campaign=campaign, places=places, pending=pending, people=people)
    from .world_oversight import add_oversight  # it builds on this module's World

    world.oversight = add_oversight(world)
    return world
