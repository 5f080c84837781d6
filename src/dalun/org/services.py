"""Writes to the organisation: units, imports, people and roles.

Each service checks the policy, runs in one transaction and leaves an audit entry.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from dalun.audit.services import audit_one_chain, audit_record, diff_fields
from dalun.engines.text import search_key
from dalun.org import paths, policy
from dalun.org.choices import Role, UnitKind
from dalun.org.importing import ParsedFile, Progress, RowError, UnitImportError, UnitRow
from dalun.org.models import Person, RoleAssignment, Unit

EDITABLE_UNIT_FIELDS = ("name", "name_en", "name_pinyin", "kind", "code", "duties")
_CHUNK = 2000


class ConcurrentEditError(Exception):
    """Somebody else saved the record since it was opened; ``current`` holds what they saved."""

    def __init__(self, current: dict[str, Any]):
        self.current = current
        super().__init__(_("This record was changed by someone else since you opened it."))


def unit_search_text(unit: Unit) -> str:
    return search_key(unit.name, unit.name_en, unit.name_pinyin, unit.code or "")


@transaction.atomic
def unit_create(
    *,
    actor: Any,
    parent: Unit | None,
    kind: str,
    name: str,
    code: str | None = None,
    name_en: str = "",
    name_pinyin: str = "",
) -> Unit:
    """Add one unit as the last child of ``parent`` (a root needs a system administrator)."""
    if parent is None:
        if not policy.is_system(actor):
            raise policy.PermissionDenied("only a system administrator may add a root unit")
    else:
        policy.require(actor, "unit.change", parent)
        parent = Unit.objects.select_for_update().get(pk=parent.pk)
    unit = Unit(
        parent=parent,
        kind=UnitKind(kind),
        name=name,
        code=code or None,
        name_en=name_en,
        name_pinyin=name_pinyin,
    )
    unit.path = _next_child_path(parent)
    unit.depth = paths.depth_of(unit.path)
    unit.search_text = unit_search_text(unit)
    unit.full_clean(exclude=["path", "depth", "search_text"])
    unit.save()
    if parent is not None:
        Unit.objects.filter(pk=parent.pk).update(child_count=F("child_count") + 1)
    audit_record(
        actor=actor,
        action="unit.create",
        obj=unit,
        changes={name: [None, getattr(unit, name)] for name in EDITABLE_UNIT_FIELDS},
    )
    return unit


def _next_child_path(parent: Unit | None) -> str:
    siblings = Unit.objects.filter(parent=parent) if parent else Unit.objects.filter(parent__isnull=True)
    last = siblings.aggregate(last=Max("path"))["last"]
    position = paths.decode_step(last[-paths.STEP_LENGTH :]) + 1 if last else 1
    return paths.child_path(parent.path if parent else "", position)


@transaction.atomic
def unit_update(*, actor: Any, unit: Unit, expected_version: int, **changes: Any) -> Unit:
    """Change a unit's names, kind or code; refused if someone saved it after ``expected_version``."""
    policy.require(actor, "unit.change", unit)
    unknown = set(changes) - set(EDITABLE_UNIT_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    current = Unit.objects.select_for_update().get(pk=unit.pk)
    if current.version != expected_version:
        raise ConcurrentEditError({name: getattr(current, name) for name in EDITABLE_UNIT_FIELDS})
    before = {name: getattr(current, name) for name in EDITABLE_UNIT_FIELDS}
    for name, value in changes.items():
        setattr(current, name, value or None if name == "code" else value)
    current.full_clean(exclude=["path", "depth", "search_text", "parent"])
    current.search_text = unit_search_text(current)
    current.version += 1
    current.save()
    audit_record(
        actor=actor,
        action="unit.update",
        obj=current,
        changes=diff_fields(before, {name: getattr(current, name) for name in EDITABLE_UNIT_FIELDS}),
    )
    return current


@transaction.atomic
def person_create(*, actor: Any, username: str, display_name: str, password: str) -> Person:
    """Open an account for a staff member (roles are given separately, with :func:`role_assign`)."""
    if not policy.allows_anywhere(actor, "campaign.manage"):
        raise policy.PermissionDenied("campaign.manage")
    person = Person(username=username, display_name=display_name)
    person.set_password(password)
    person.full_clean(exclude=["password"])
    person.save()
    audit_record(actor=actor, action="person.create", obj=person, changes={"username": [None, username]})
    return person


@transaction.atomic
def role_assign(*, actor: Any, person: Person, role: str, unit: Unit) -> RoleAssignment:
    """Give ``person`` ``role`` over ``unit``'s subtree (the office does this inside its own subtree)."""
    policy.require(actor, "campaign.manage", unit)
    assignment, created = RoleAssignment.objects.get_or_create(person=person, role=Role(role), unit=unit)
    if created:
        audit_record(
            actor=actor,
            action="role.assign",
            obj=assignment,
            changes={"person": person.username, "role": role, "unit": unit.code or unit.pk},
        )
    return assignment


def units_import(*, actor: Any, parsed: ParsedFile, progress: Progress | None = None) -> int:
    """Add every unit of a parsed file, or none: the tree is checked whole before the first insert.

    Parents may be units already in the tree (by code) or rows of the same file, in any order.
    Returns the number of units added; raises UnitImportError listing every bad row.
    """
    rows = parsed.rows
    existing = _existing_units_by_code({row.code for row in rows} | {row.parent_code for row in rows})
    tree_errors, levels = _check_tree(actor, rows, existing)
    errors = sorted(set(parsed.errors) | set(tree_errors), key=lambda e: (e.row, e.column, e.message))
    if errors:
        raise UnitImportError(errors)
    try:
        with transaction.atomic(), audit_one_chain():
            _insert_levels(actor, levels, existing, progress)
    except IntegrityError as clash:  # another import took a code or a path between the check and the insert
        raise UnitImportError(
            [
                RowError(
                    0, "", _("The tree changed during the import; nothing was imported. Please try again.")
                )
            ]
        ) from clash
    return len(rows)


def _existing_units_by_code(codes: set[str]) -> dict[str, Unit]:
    codes.discard("")
    found: dict[str, Unit] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), _CHUNK):
        for unit in Unit.objects.filter(code__in=ordered[start : start + _CHUNK]):
            found[unit.code] = unit  # type: ignore[index]
    return found


def _check_tree(
    actor: Any,
    rows: list[UnitRow],
    existing: dict[str, Unit],
) -> tuple[list[RowError], list[list[UnitRow]]]:
    """Find duplicates of existing codes, unknown parents, cycles and parents outside the actor's scope.

    Returns the errors and, when there are none, the rows grouped by their depth below the existing tree.
    """
    errors: list[RowError] = []
    by_code = {row.code: row for row in rows}
    may_add_roots = policy.is_system(actor)
    allowed_parent: dict[str, bool] = {}
    for row in rows:
        if row.code in existing:
            errors.append(
                RowError(
                    row.row,
                    "code",
                    _("Code %(code)s already belongs to %(unit)s.")
                    % {"code": row.code, "unit": existing[row.code].name},
                )
            )
        if not row.parent_code:
            if not may_add_roots:
                errors.append(RowError(row.row, "parent_code", _("The parent code is missing.")))
        elif row.parent_code in existing:
            parent = existing[row.parent_code]
            if row.parent_code not in allowed_parent:
                allowed_parent[row.parent_code] = policy.allows(actor, "unit.import", parent)
            if not allowed_parent[row.parent_code]:
                errors.append(
                    RowError(
                        row.row,
                        "parent_code",
                        _("You may not add units under %(unit)s.") % {"unit": parent.name},
                    )
                )
        elif row.parent_code not in by_code:
            errors.append(
                RowError(
                    row.row,
                    "parent_code",
                    _("Unknown parent code %(code)s: it is neither in the tree nor in this file.")
                    % {"code": row.parent_code},
                )
            )
    depth_of: dict[str, int] = {}
    for row in rows:
        chain: list[UnitRow] = []
        current: UnitRow | None = row
        while current is not None and current.code not in depth_of:
            if current in chain:
                cycle = chain[chain.index(current) :]
                described = " → ".join(str(member.row) for member in [*cycle, current])
                for member in cycle:
                    errors.append(
                        RowError(
                            member.row,
                            "parent_code",
                            _("Cycle of parents through rows %(rows)s.") % {"rows": described},
                        )
                    )
                    depth_of[member.code] = -1
                break
            chain.append(current)
            current = by_code.get(current.parent_code) if current.parent_code not in existing else None
        base = depth_of.get(current.code, 0) if current is not None else 0
        for offset, member in enumerate(reversed(chain), start=1):
            if member.code not in depth_of:
                depth_of[member.code] = -1 if base < 0 else base + offset
    if errors:
        return errors, []
    levels: dict[int, list[UnitRow]] = defaultdict(list)
    for row in rows:
        levels[depth_of[row.code]].append(row)
    return [], [levels[depth] for depth in sorted(levels)]


def _insert_levels(
    actor: Any, levels: list[list[UnitRow]], existing: dict[str, Unit], progress: Progress | None
) -> None:
    total = sum(len(level) for level in levels)
    parents: dict[str, Unit] = dict(existing)
    next_position = _next_positions([unit for unit in existing.values()])
    next_root = _next_root_position()
    child_counts: dict[str, int] = defaultdict(int)
    for level in levels:
        for row in level:
            child_counts[row.parent_code] += 1
    done = 0
    for level in levels:
        batch: list[Unit] = []
        for row in level:
            parent = parents.get(row.parent_code) if row.parent_code else None
            if parent is None:
                path = paths.child_path("", next_root)
                next_root += 1
            else:
                position = next_position.get(parent.pk, 1)
                next_position[parent.pk] = position + 1
                path = paths.child_path(parent.path, position)
            unit = Unit(
                path=path,
                depth=paths.depth_of(path),
                parent=parent,
                kind=row.kind,
                code=row.code,
                name=row.name,
                name_en=row.name_en,
                name_pinyin=row.name_pinyin,
                child_count=child_counts.get(row.code, 0),
            )
            unit.search_text = unit_search_text(unit)
            batch.append(unit)
        for start in range(0, len(batch), _CHUNK):
            created = Unit.objects.bulk_create(batch[start : start + _CHUNK])
            parents.update(zip((row.code for row in level[start : start + _CHUNK]), created, strict=True))
            done += len(created)
            if progress:
                progress(done / total)
    added_under = {code: count for code, count in child_counts.items() if code in existing}
    for code, count in added_under.items():
        existing[code].child_count += count
    Unit.objects.bulk_update([existing[code] for code in added_under], ["child_count"], batch_size=_CHUNK)
    for code, count in added_under.items():
        parent = existing[code]
        audit_record(
            actor=actor,
            action="unit.import",
            obj=parent,
            changes={"child_count": [parent.child_count - count, parent.child_count]},
        )
    if not added_under:  # a file of new roots: record it on each root
        for row in levels[0] if levels else []:
            audit_record(
                actor=actor, action="unit.import", obj=parents[row.code], changes={"units_added": [0, total]}
            )


def _next_positions(parents: list[Unit]) -> dict[int, int]:
    positions: dict[int, int] = {}
    ids = [unit.pk for unit in parents]
    for start in range(0, len(ids), _CHUNK):
        rows = (
            Unit.objects.filter(parent_id__in=ids[start : start + _CHUNK])
            .values("parent_id")
            .annotate(last=Max("path"))
        )
        for row in rows:
            positions[row["parent_id"]] = paths.decode_step(row["last"][-paths.STEP_LENGTH :]) + 1
    return positions


def _next_root_position() -> int:
    last = Unit.objects.filter(parent__isnull=True).aggregate(last=Max("path"))["last"]
    return paths.decode_step(last) + 1 if last else 1
