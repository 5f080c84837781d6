"""Campaigns from templates, deployment down the tree, and the capability flags of phases."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from dalun.audit.models import AuditEntry
from dalun.campaigns.models import KeyLinkObligation
from dalun.campaigns.services import (
    CampaignError,
    campaign_create,
    campaign_deploy,
    phase_allows,
    shipped_templates,
)
from dalun.campaigns.template import TemplateError
from dalun.org.models import Unit

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 3, 2)


@pytest.fixture
def reference_text() -> str:
    return shipped_templates()["big-discussion"].read_text(encoding="utf-8")


@pytest.fixture
def campaign(persona, unit, reference_text):
    return campaign_create(
        actor=persona("office"),
        template_text=reference_text,
        source="big-discussion.yaml",
        starts_on=START,
        owner_unit=unit("14"),
    )


def test_reference_campaign_has_its_vocabulary_with_dates(campaign):
    assert campaign.categories.count() == 6
    assert [link.position for link in campaign.key_links.all()] == list(range(1, 11))
    assert campaign.breakthroughs.count() == 6
    first = campaign.key_links.get(key="mobilisation")
    assert first.starts_on == START
    assert campaign.ends_on == START + datetime.timedelta(days=299)
    assert campaign.deadlines["suggestion_response_working_days"] > 0
    assert AuditEntry.objects.filter(action="campaign.create", object_id=str(campaign.pk)).exists()


def test_deploy_gives_each_unit_the_key_links_of_its_requirement_class(campaign, persona, unit):
    deployment = campaign_deploy(actor=persona("office"), campaign=campaign, root=unit("1401"))
    subtree = Unit.objects.subtree_of(unit("1401"))
    assert deployment.units_covered == subtree.count()
    obligations = KeyLinkObligation.objects.filter(campaign=campaign)
    assert deployment.obligations_created == obligations.count()
    county_links = set(obligations.filter(unit=unit("140105")).values_list("key_link__key", flat=True))
    village = (
        subtree.filter(kind="villagers_committee").first()
        or subtree.filter(kind="residents_committee").first()
    )
    village_links = set(obligations.filter(unit=village).values_list("key_link__key", flat=True))
    assert len(county_links) == 10
    assert village_links and village_links < county_links  # villages have lighter requirements
    assert not obligations.filter(unit=unit("1404")).exists()  # outside the deployed subtree


def test_deploying_again_or_to_a_wider_subtree_adds_only_missing_obligations(campaign, persona, unit):
    office = persona("office")
    first = campaign_deploy(actor=office, campaign=campaign, root=unit("140105"))
    again = campaign_deploy(actor=office, campaign=campaign, root=unit("140105"))
    assert again.obligations_created == first.obligations_created  # nothing new the second time
    before = KeyLinkObligation.objects.count()
    wider = campaign_deploy(actor=office, campaign=campaign, root=unit("1401"))
    assert KeyLinkObligation.objects.count() - before == wider.obligations_created > 0


def test_only_the_office_creates_and_deploys(campaign, persona, unit, reference_text):
    with pytest.raises(PermissionDenied):
        campaign_deploy(actor=persona("changzhi_head"), campaign=campaign, root=unit("1404"))
    with pytest.raises(PermissionDenied):
        campaign_create(
            actor=persona("xiaodian_clerk"),
            template_text=reference_text,
            source="x",
            starts_on=START,
            owner_unit=unit("140105"),
            key="mine",
        )


def test_duplicate_key_and_bad_templates_are_refused_whole(campaign, persona, unit, reference_text):
    with pytest.raises(CampaignError):
        campaign_create(
            actor=persona("office"),
            template_text=reference_text,
            source="x",
            starts_on=START,
            owner_unit=unit("14"),
        )
    broken = reference_text.replace("duration_days: 300", "duration_days: [300]")
    with pytest.raises(TemplateError) as error:
        campaign_create(
            actor=persona("office"),
            template_text=broken,
            source="broken.yaml",
            starts_on=START,
            owner_unit=unit("14"),
            key="broken",
        )
    assert any(issue.key_path == "duration_days" and issue.line for issue in error.value.errors)
    from dalun.campaigns.models import Campaign

    assert not Campaign.objects.filter(key="broken").exists()


def test_phase_flags_open_and_close_capabilities_by_date(campaign):
    assert phase_allows(campaign, "ledger.edit", on=START + datetime.timedelta(days=100))
    assert not phase_allows(campaign, "ledger.edit", on=START + datetime.timedelta(days=280))
    assert phase_allows(campaign, "assessment.score", on=START + datetime.timedelta(days=280))
    assert not phase_allows(campaign, "suggestion.create", on=START - datetime.timedelta(days=1))


@pytest.mark.parametrize("starts_on", [datetime.date(9999, 12, 1), datetime.date(1, 1, 1)])
def test_a_start_date_outside_the_calendar_is_refused_not_a_crash(persona, unit, reference_text, starts_on):
    with pytest.raises(CampaignError, match="between the years"):
        campaign_create(
            actor=persona("office"),
            template_text=reference_text,
            source="x",
            starts_on=starts_on,
            owner_unit=unit("14"),
            key="far-away",
        )
