"""Liaison supervision groups: members and covered units, and the supervisor roles they grant."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dalun.audit.services import audit_record
from dalun.campaigns.models import Campaign
from dalun.org import policy
from dalun.org.choices import Role
from dalun.org.models import Person, RoleAssignment, Unit
from dalun.supervision.choices import (
    MemberRole,
)
from dalun.supervision.models import (
    GroupCoverage,
    GroupMember,
    GroupRoleGrant,
    SupervisionGroup,
)
from dalun.supervision.services._shared import (
    _person,
)


@transaction.atomic
def group_create(*, actor: Any, campaign: Campaign, name: str, leading_unit: Unit) -> SupervisionGroup:
    """The leading-group office forms a liaison supervision group within its campaign and its subtree."""
    policy.require(actor, "supervision.manage", leading_unit)
    if not leading_unit.is_within(campaign.owner_unit) and not campaign.owner_unit.is_within(leading_unit):
        raise ValidationError({"leading_unit": _("This unit takes no part in the campaign.")})
    group = SupervisionGroup.objects.create(
        campaign=campaign, name=_group_name(name), leading_unit=leading_unit, created_by=_person(actor)
    )
    audit_record(
        actor=actor, action="supervision.group_create", obj=group, changes={"name": [None, group.name]}
    )
    return group


NAME_MAX = SupervisionGroup._meta.get_field("name").max_length or 200


def _group_name(name: str) -> str:
    """A group's name as given, refused when empty or longer than the field holds (never cut short)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the group a name.")})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": _("At most %(max)s characters.") % {"max": NAME_MAX}})
    return name


@transaction.atomic
def group_rename(
    *, actor: Any, group: SupervisionGroup, name: str, expected_version: int
) -> SupervisionGroup:
    policy.require(actor, "supervision.manage", group.leading_unit)
    current = SupervisionGroup.objects.select_for_update().get(pk=group.pk)
    if current.version != expected_version:
        raise ValidationError(_("This group was changed by someone else since you opened it."))
    before, current.name = current.name, _group_name(name)
    current.version += 1
    current.save(update_fields=["name", "version"])
    audit_record(
        actor=actor, action="supervision.group_rename", obj=current, changes={"name": [before, current.name]}
    )
    return current


@transaction.atomic
def member_add(
    *, actor: Any, group: SupervisionGroup, person: Person, role: str = MemberRole.MEMBER
) -> GroupMember:
    """Add a person to the group; they become a supervisor of every unit the group covers."""
    policy.require(actor, "supervision.manage", group.leading_unit)
    if role not in MemberRole.values:
        raise ValidationError({"role": _("Unknown role in the group.")})
    member, created = GroupMember.objects.get_or_create(group=group, person=person, defaults={"role": role})
    if not created and member.role != role:
        GroupMember.objects.filter(pk=member.pk).update(role=role)
        member.role = role
    _sync_grants(actor, [person.pk])
    audit_record(
        actor=actor,
        action="supervision.member_add",
        obj=group,
        changes={"person": [None, person.username], "role": [None, role]},
    )
    return member


@transaction.atomic
def member_remove(*, actor: Any, group: SupervisionGroup, person: Person) -> None:
    policy.require(actor, "supervision.manage", group.leading_unit)
    deleted, _rows = GroupMember.objects.filter(group=group, person=person).delete()
    if not deleted:
        raise ValidationError({"person": _("This person is not a member of the group.")})
    _sync_grants(actor, [person.pk])
    audit_record(
        actor=actor,
        action="supervision.member_remove",
        obj=group,
        changes={"person": [person.username, None]},
    )


@transaction.atomic
def coverage_add(*, actor: Any, group: SupervisionGroup, unit: Unit) -> GroupCoverage:
    """The group will supervise ``unit``'s subtree; its members become supervisors there."""
    policy.require(actor, "supervision.manage", group.leading_unit)
    if not unit.is_within(group.leading_unit):
        raise ValidationError(
            {"unit": _("The unit must lie within the subtree of the unit forming the group.")}
        )
    coverage, _created = GroupCoverage.objects.get_or_create(group=group, unit=unit)
    _sync_grants(actor, list(group.members.values_list("person_id", flat=True)))
    audit_record(
        actor=actor,
        action="supervision.coverage_add",
        obj=group,
        changes={"unit": [None, unit.code or unit.pk]},
    )
    return coverage


@transaction.atomic
def coverage_remove(*, actor: Any, group: SupervisionGroup, unit: Unit) -> None:
    policy.require(actor, "supervision.manage", group.leading_unit)
    deleted, _rows = GroupCoverage.objects.filter(group=group, unit=unit).delete()
    if not deleted:
        raise ValidationError({"unit": _("The group does not cover this unit.")})
    _sync_grants(actor, list(group.members.values_list("person_id", flat=True)))
    audit_record(
        actor=actor,
        action="supervision.coverage_remove",
        obj=group,
        changes={"unit": [unit.code or unit.pk, None]},
    )


def _sync_grants(actor: Any, person_ids: Iterable[int]) -> None:
    """Make the supervisor role assignments of these people match their groups' membership x coverage.

    Wanted pairs (person, unit) without any supervisor assignment get one, marked as a group grant; granted
    assignments no group wants any more are removed. Assignments given by hand are left alone.
    """
    person_ids = sorted(set(person_ids))
    if not person_ids:
        return
    wanted = set(
        GroupCoverage.objects.filter(group__members__person_id__in=person_ids).values_list(
            "group__members__person_id", "unit_id"
        )
    )
    existing = {
        (a.person_id, a.unit_id): a
        for a in RoleAssignment.objects.filter(person_id__in=person_ids, role=Role.SUPERVISOR)
    }
    granted = set(
        GroupRoleGrant.objects.filter(assignment__in=[a.pk for a in existing.values()]).values_list(
            "assignment_id", flat=True
        )
    )
    for pair, assignment in existing.items():
        if pair not in wanted and assignment.pk in granted:
            audit_record(
                actor=actor,
                action="role.revoke",
                obj=assignment,
                changes={"person": assignment.person_id, "role": Role.SUPERVISOR, "unit": assignment.unit_id},
            )
            assignment.delete()
    for person_id, unit_id in sorted(wanted - set(existing)):
        assignment = RoleAssignment.objects.create(person_id=person_id, role=Role.SUPERVISOR, unit_id=unit_id)
        GroupRoleGrant.objects.create(assignment=assignment)
        audit_record(
            actor=actor,
            action="role.assign",
            obj=assignment,
            changes={
                "person": person_id,
                "role": Role.SUPERVISOR,
                "unit": unit_id,
                "by": "supervision group",
            },
        )
