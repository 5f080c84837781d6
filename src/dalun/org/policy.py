"""The permission policy: the one place that answers "may this actor do this, and where?".

A role held over a unit holds over its whole subtree. Each action names the roles that may perform it.
Everything not listed is denied. Services call :func:`require`, selectors call :func:`scope` to filter rows,
and views never decide on their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from dalun.org import paths
from dalun.org.choices import Role
from dalun.org.models import RoleAssignment, Unit

STAFF_ROLES = frozenset(Role.values)
UNIT_EDITORS = frozenset({Role.OFFICE, Role.FIRST_RESPONSIBLE, Role.CLERK})

# action -> roles that may perform it over the subtree where they hold the role
ACTIONS: dict[str, frozenset[str]] = {
    "unit.view_internal": STAFF_ROLES,  # people, role assignments, internal records
    "unit.change": UNIT_EDITORS,
    "unit.import": frozenset({Role.OFFICE, Role.FIRST_RESPONSIBLE}),
    "campaign.manage": frozenset({Role.OFFICE}),
    "campaign.deploy": frozenset({Role.OFFICE}),
    "audit.view": frozenset({Role.OFFICE, Role.SUPERVISOR}),
    "dashboard.view": STAFF_ROLES,
    "ledger.edit": frozenset({Role.CLERK, Role.FIRST_RESPONSIBLE, Role.FIELD_CADRE}),
    "ledger.submit": frozenset({Role.FIRST_RESPONSIBLE}),
    "keylink.report": frozenset({Role.CLERK, Role.FIRST_RESPONSIBLE}),
    "suggestion.moderate": frozenset({Role.MODERATOR, Role.OFFICE}),
    "suggestion.answer": frozenset({Role.CLERK, Role.FIRST_RESPONSIBLE}),
    "opinion.moderate": frozenset({Role.MODERATOR, Role.OFFICE}),
    # Formalism alerts: supervisors and the office judge them; a unit's head reads those about its subtree.
    "alert.review": frozenset({Role.OFFICE, Role.SUPERVISOR}),
    "alert.view": frozenset({Role.OFFICE, Role.SUPERVISOR, Role.FIRST_RESPONSIBLE}),
    "supervision.manage": frozenset({Role.OFFICE}),  # form groups, assign members and coverage, plan
    "supervision.inspect": frozenset({Role.SUPERVISOR}),  # record inspections, findings, notices
    "supervision.view": STAFF_ROLES,  # a unit's findings and the supervision dashboard of a subtree
    # Judging a unit's work is for the level above: these roles must be held over a proper ancestor,
    # except a supervisor's, which may be held over the unit itself.
    "ledger.review": frozenset({Role.OFFICE, Role.FIRST_RESPONSIBLE}),
    "measure.verify": frozenset({Role.OFFICE, Role.FIRST_RESPONSIBLE, Role.SUPERVISOR}),
}
FROM_ABOVE = frozenset({"ledger.review", "measure.verify"})


class SystemActor:
    """The platform itself acting (command line, demo loader, tasks with no person behind them)."""

    is_authenticated = False
    is_superuser = True
    is_active = True
    pk = None

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()


def _assignments(actor: Any) -> list[RoleAssignment]:
    """The actor's role assignments, read once per actor object (one request, one query)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return []
    cached = getattr(actor, "_dalun_role_assignments", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(person=actor).select_related("unit"))
        actor._dalun_role_assignments = cached
    return cached


def roles_of(actor: Any) -> set[str]:
    return {assignment.role for assignment in _assignments(actor)}


def scope_units(actor: Any, action: str) -> list[Unit]:
    """The top units of the subtrees in which ``actor`` may perform ``action``."""
    allowed = ACTIONS[action]
    return [a.unit for a in _assignments(actor) if a.role in allowed]


def is_system(actor: Any) -> bool:
    """Superusers (the system administrators) pass every check."""
    return bool(getattr(actor, "is_superuser", False) and getattr(actor, "is_active", False))


def allows(actor: Any, action: str, unit: Unit) -> bool:
    """May ``actor`` perform ``action`` on ``unit`` (or on something that belongs to it)?"""
    if is_system(actor):
        return True
    allowed = ACTIONS[action]
    for assignment in _assignments(actor):
        if assignment.role not in allowed or not unit.is_within(assignment.unit):
            continue
        if action not in FROM_ABOVE or assignment.unit.pk != unit.pk or assignment.role == Role.SUPERVISOR:
            return True
    return False


def allows_anywhere(actor: Any, action: str) -> bool:
    """Does ``actor`` hold ``action`` over at least one subtree (used to show menus)?"""
    return is_system(actor) or bool(scope_units(actor, action))


def require(actor: Any, action: str, unit: Unit) -> None:
    if not allows(actor, action, unit):
        raise PermissionDenied(f"{action} is not allowed on this unit")


def scope(actor: Any, action: str, *, path_field: str = "path") -> Q:
    """A filter on rows whose unit lies in the actor's scope for ``action``; matches nothing by default.

    ``path_field`` is the lookup of the unit path from the filtered model (``unit__path`` for a row
    that belongs to a unit).
    """
    if is_system(actor):
        return Q()
    return subtree_filter(scope_units(actor, action), path_field=path_field)


def subtree_filter(units: Iterable[Unit], *, path_field: str = "path") -> Q:
    condition = Q(pk__in=[])
    for unit in units:
        condition |= Q(
            **{f"{path_field}__gte": unit.path, f"{path_field}__lt": paths.subtree_upper_bound(unit.path)}
        )
    return condition


def role_labels(actor: Any) -> set[str]:
    """Human labels of the actor's roles, with the unit each holds over, for the page header."""
    return {f"{a.get_role_display()} · {a.unit.display_name}" for a in _assignments(actor)}
