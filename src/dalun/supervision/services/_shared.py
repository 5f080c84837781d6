"""What the supervision services share: who heads a unit, group membership and coverage, notices."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from dalun.campaigns.models import Campaign
from dalun.campaigns.services import phase_allows
from dalun.org import policy
from dalun.org.choices import Role
from dalun.org.models import Person, RoleAssignment, Unit
from dalun.supervision.models import (
    GroupMember,
    SupervisionGroup,
)

DEFAULT_FINDING_WORKING_DAYS = 20
#: Category keys preferred for a finding recorded without one (formalism is a matter of work style).
PREFERRED_CATEGORY_KEYS = ("work_style", "formalism")
UNIT_HEAD_ROLES = (Role.FIRST_RESPONSIBLE, Role.CLERK)


def _person(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def unit_heads(unit: Unit) -> list[Person]:
    """Who answers for a unit's rectification: its first responsible person and clerks (held at the unit)."""
    return [
        a.person
        for a in RoleAssignment.objects.filter(unit=unit, role__in=UNIT_HEAD_ROLES)
        .select_related("person")
        .order_by("role", "person__username")
    ]


def _require_phase(campaign: Campaign) -> None:
    if not phase_allows(campaign, "supervision.inspect"):
        raise ValidationError(_("The campaign's current phase does not allow supervision."))


def is_member(actor: Any, group: SupervisionGroup) -> bool:
    if policy.is_system(actor):
        return True
    return bool(actor.pk) and GroupMember.objects.filter(group=group, person_id=actor.pk).exists()


def _require_member(actor: Any, group: SupervisionGroup, unit: Unit) -> None:
    """A supervisor acts only for a group they belong to, and only inside the units it covers."""
    policy.require(actor, "supervision.inspect", unit)
    if not is_member(actor, group):
        raise PermissionDenied("not a member of this supervision group")
    if not covers(group, unit):
        raise PermissionDenied("the group does not cover this unit")


def covers(group: SupervisionGroup, unit: Unit) -> bool:
    """Does the group supervise ``unit`` (a covered unit covers its whole subtree)?"""
    return any(unit.is_within(row.unit) for row in group.coverage.select_related("unit"))
