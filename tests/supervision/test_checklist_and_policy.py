"""The inspection checklist in campaign templates, and who the policy lets manage, inspect and view."""

from __future__ import annotations

import pytest

from dalun.campaigns.services import parse_template, shipped_templates
from dalun.campaigns.template import TemplateError
from dalun.org import policy
from dalun.supervision.checklist import campaign_checklist

pytestmark = pytest.mark.django_db

REFERENCE = shipped_templates()["big-discussion"].read_text(encoding="utf-8")


def test_reference_template_ships_a_bilingual_checklist_and_a_finding_deadline():
    template = parse_template(REFERENCE, source="big-discussion.yaml")
    assert [item.key for item in template.inspection_checklist][:3] == [
        "leadership",
        "ledger_specific",
        "measures_measurable",
    ]
    assert all(item.text.zh_hans and item.text.en for item in template.inspection_checklist)
    assert template.deadlines.finding_rectification_working_days == 20


def test_a_template_without_checklist_or_finding_deadline_is_still_valid():
    text = REFERENCE.split("\ninspection_checklist:")[0].replace(
        "  finding_rectification_working_days: 20\n", ""
    )
    template = parse_template(text, source="old.yaml")
    assert template.inspection_checklist == []
    assert template.deadlines.finding_rectification_working_days == 20


def test_duplicate_or_malformed_checklist_items_are_reported_by_line():
    text = (
        REFERENCE
        + "  - key: leadership\n    text: {zh-hans: 重复, en: again}\n  - key: Bad Key\n    text: {en: x}\n"
    )
    with pytest.raises(TemplateError) as error:
        parse_template(text, source="bad.yaml")
    messages = str(error.value)
    assert "inspection_checklist[6].key: duplicate key 'leadership'" in messages
    assert "bad.yaml:389: inspection_checklist[7].key" in messages
    assert "not a valid key" in messages
    assert "zh-hans" in messages


def test_campaign_checklist_reads_the_campaigns_own_template(campaign):
    items = campaign_checklist(campaign)
    assert items[0].key == "leadership" and items[0].text["en"].startswith("The first responsible person")


@pytest.mark.parametrize(
    ("username", "action", "code", "allowed"),
    [
        ("office", "supervision.manage", "140105", True),
        ("changzhi_head", "supervision.manage", "1404", False),
        ("taiyuan_supervisor", "supervision.manage", "1401", False),
        ("taiyuan_supervisor", "supervision.inspect", "140105", True),
        ("taiyuan_supervisor", "supervision.inspect", "1404", False),  # outside the subtree
        ("office", "supervision.inspect", "140105", False),  # the office plans; supervisors inspect
        ("xiaodian_clerk", "supervision.inspect", "140105", False),
        ("xiaodian_clerk", "supervision.view", "140105", True),
        ("xiaodian_clerk", "supervision.view", "140106", False),  # the sibling's findings
        ("changzhi_head", "supervision.view", "140105", False),
        ("taiyuan_supervisor", "supervision.view", "140106", True),
    ],
)
def test_policy_matrix_for_supervision(persona, unit, username, action, code, allowed):
    assert policy.allows(persona(username), action, unit(code)) is allowed


def test_the_public_is_allowed_nothing(unit):
    from django.contrib.auth.models import AnonymousUser

    for action in ("supervision.manage", "supervision.inspect", "supervision.view"):
        assert not policy.allows(AnonymousUser(), action, unit("140105"))
