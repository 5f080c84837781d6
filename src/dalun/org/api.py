"""REST endpoints of the organisation: public reads, scoped internal reads, edits under the policy."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from ninja.security import django_auth

from dalun.apikeys.fields import ErrorOut, Page
from dalun.org import policy, selectors
from dalun.org.models import Unit
from dalun.org.services import EDITABLE_UNIT_FIELDS, ConcurrentEditError, unit_update

router = Router(tags=["units"])


class UnitOut(Schema):
    id: int
    code: str | None
    name: str
    name_en: str
    kind: str
    depth: int
    parent_id: int | None
    child_count: int
    version: int


class PersonRoleOut(Schema):
    username: str
    display_name: str
    role: str


class UnitPatch(Schema):
    version: int
    name: str | None = None
    name_en: str | None = None
    name_pinyin: str | None = None
    kind: str | None = None
    code: str | None = None


@router.get("", response=list[UnitOut])
@paginate(Page)
def list_units(request: HttpRequest, q: str = "", parent: int | None = None):
    """Search units by name (Chinese, English, pinyin) or code, or list a unit's children."""
    if q:
        within = selectors.unit_get(unit_id=parent) if parent else None
        return selectors.unit_search(query=q, within=within, limit=500)
    if parent:
        return selectors.unit_children(unit=selectors.unit_get(unit_id=parent))
    return selectors.unit_roots()


@router.get("/{unit_id}", response=UnitOut)
def get_unit(request: HttpRequest, unit_id: int) -> Unit:
    return selectors.unit_get(unit_id=unit_id)


@router.get("/{unit_id}/people", response=list[PersonRoleOut], auth=django_auth)
def unit_people(request: HttpRequest, unit_id: int) -> list[dict[str, str]]:
    """Who holds which role at the unit: internal, so outside your subtree it does not exist."""
    unit = selectors.unit_get(unit_id=unit_id)
    if not policy.allows(request.user, "unit.view_internal", unit):
        raise Http404("no such unit")
    return [
        {"username": a.person.username, "display_name": str(a.person), "role": a.role}
        for a in selectors.unit_people(actor=request.user, unit=unit)
    ]


@router.patch("/{unit_id}", response={200: UnitOut, 409: ErrorOut, 422: ErrorOut}, auth=django_auth)
def patch_unit(request: HttpRequest, unit_id: int, payload: UnitPatch):
    """Change a unit; send the ``version`` you read, a stale one is answered 409 with the current values."""
    unit = selectors.unit_editable_or_404(actor=request.user, unit_id=unit_id)
    changes = {
        name: value
        for name, value in payload.dict(exclude_unset=True).items()
        if name in EDITABLE_UNIT_FIELDS
    }
    try:
        return unit_update(actor=request.user, unit=unit, expected_version=payload.version, **changes)
    except ConcurrentEditError as error:
        conflict = {"code": "conflict", "message": str(error), "fields": {}, "current": error.current}
        return Status(409, {"error": conflict})
    except DjangoValidationError as error:
        invalid = {"code": "invalid", "message": "The unit is not valid.", "fields": error.message_dict}
        return Status(422, {"error": invalid})
