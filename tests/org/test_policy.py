"""The permission policy: roles hold over subtrees, everything else is denied."""

import pytest
from django.contrib.auth.models import AnonymousUser

from dalun.org import policy
from dalun.org.models import Unit

pytestmark = pytest.mark.django_db

# (persona, action, unit code, allowed): inside and outside each actor's subtree.
MATRIX = [
    ("office", "unit.change", "140106", True),
    ("office", "campaign.deploy", "14", True),
    ("changzhi_head", "unit.change", "1404", True),
    ("changzhi_head", "unit.change", "140105", False),
    ("changzhi_head", "campaign.deploy", "1404", False),
    ("xiaodian_head", "unit.import", "140105", True),
    ("xiaodian_head", "unit.import", "140106", False),
    ("xiaodian_clerk", "unit.change", "140105001", True),
    ("xiaodian_clerk", "unit.change", "140106", False),
    ("xiaodian_clerk", "unit.change", "1401", False),
    ("xiaodian_clerk", "unit.import", "140105", False),
    ("xiaodian_clerk", "unit.view_internal", "140105", True),
    ("xiaodian_clerk", "unit.view_internal", "140106", False),
    ("yingze_clerk", "unit.change", "140106", True),
    ("yingze_clerk", "unit.change", "140105", False),
    ("taiyuan_supervisor", "unit.view_internal", "140105", True),
    ("taiyuan_supervisor", "unit.view_internal", "1404", False),
    ("taiyuan_supervisor", "unit.change", "140105", False),
    ("moderator", "unit.change", "140105", False),
    ("assessor", "unit.change", "140105", False),
    ("field_cadre", "unit.change", "140105", False),
    ("field_cadre", "unit.view_internal", "140105", True),
]


@pytest.mark.parametrize(("username", "action", "code", "allowed"), MATRIX)
def test_policy_matrix(persona, unit, username, action, code, allowed):
    assert policy.allows(persona(username), action, unit(code)) is allowed


@pytest.mark.parametrize("action", sorted(policy.ACTIONS))
def test_the_public_is_denied_everything(unit, action):
    assert policy.allows(AnonymousUser(), action, unit("140105")) is False


def test_unknown_actions_are_an_error_not_a_silent_allow(persona, unit):
    with pytest.raises(KeyError):
        policy.allows(persona("office"), "unit.destroy", unit("14"))


def test_scope_filters_rows_to_the_actors_subtrees(persona, unit):
    clerk = persona("xiaodian_clerk")
    visible = Unit.objects.filter(policy.scope(clerk, "unit.change"))
    assert set(visible.values_list("pk", flat=True)) == set(
        Unit.objects.subtree_of(unit("140105")).values_list("pk", flat=True)
    )
    assert not Unit.objects.filter(policy.scope(AnonymousUser(), "unit.change")).exists()


def test_role_assignments_are_read_once_per_actor(persona, unit, django_assert_num_queries):
    clerk = persona("xiaodian_clerk")
    units = [unit(code) for code in ("140105", "140106", "1401")]
    with django_assert_num_queries(1):
        assert [policy.allows(clerk, "unit.change", u) for u in units] == [True, False, False]
