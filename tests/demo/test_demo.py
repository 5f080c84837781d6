"""The demo: the whole province, one persona per role and the deployed campaign, loaded idempotently."""

from django.core.management import call_command

from dalun.campaigns.models import Campaign, KeyLinkObligation
from dalun.demo.personas import PERSONAS
from dalun.org.models import Person, RoleAssignment, Unit

DIVISIONS = 1 + 11 + 121 + 1352 + 21895
BODIES = 8


def test_demo_loads_the_province_and_is_idempotent(seeded_transactional_db, capsys):
    call_command("demo", "--no-serve")
    first = capsys.readouterr().out
    call_command("demo", "--no-serve")
    second = capsys.readouterr().out
    assert Unit.objects.count() == DIVISIONS + BODIES
    assert "0 units added" in second
    for persona in PERSONAS:
        assert persona.username in first
        person = Person.objects.get(username=persona.username)
        assert RoleAssignment.objects.filter(
            person=person, role=persona.role, unit__code=persona.unit_code
        ).exists()
    campaign = Campaign.objects.get(key="big-discussion")
    obligations = KeyLinkObligation.objects.filter(campaign=campaign)
    assert obligations.values("unit").distinct().count() == Unit.objects.count()
    assert Unit.objects.get(code="14B007").parent.code == "1404"  # Changzhi Municipal Committee
    assert Unit.objects.get(code="14B008").parent.code == "140105"  # Xiaodian District Committee
    assert Unit.objects.filter(kind="villagers_committee").count() > 18_000
    from dalun.ledger import rollups
    from dalun.ledger.models import Measure, Problem

    assert Problem.objects.filter(unit__code="140105", campaign=campaign, source="self").count() == 2
    assert (
        Measure.objects.filter(campaign=campaign)
        .exclude(status="closed")
        .filter(deadline__lt=campaign.starts_on.today())
        .exists()
    )  # the demo has overdue measures to show
    assert rollups.differences(campaign_id=campaign.pk) == []
