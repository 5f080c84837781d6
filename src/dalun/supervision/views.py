"""Supervision pages: the office's groups, a supervisor's units and inspections, a unit's findings queue
and the dashboard of a subtree.

Forms post and redirect back; a refused change comes back as a message naming the field.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dalun.campaigns.models import Campaign
from dalun.campaigns.selectors import campaign_by_key
from dalun.ledger.views import _explain
from dalun.org import policy
from dalun.org.models import Person, Unit
from dalun.org.selectors import unit_ancestors, unit_get
from dalun.supervision import selectors, services
from dalun.supervision.choices import (
    ChecklistAnswer,
    InspectionKind,
    InspectionMethod,
    InspectionStatus,
    MemberRole,
)
from dalun.supervision.models import FindingEvidence, Inspection


def _attempt(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    try:
        action()
    except ValidationError as error:
        messages.error(request, _explain(error))
        return False
    messages.success(request, success)
    return True


def _date(value: str, field: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")}) from None


def _int(value: str | None) -> int:
    """A posted number (a version); anything else counts as 0, which the service then refuses."""
    return int(value) if value and value.isdigit() else 0


def _optional_date(value: str, field: str) -> datetime.date | None:
    return _date(value, field) if value.strip() else None


def _unit_by_code(code: str, field: str = "unit") -> Unit:
    unit = Unit.objects.filter(code=code.strip()).first() if code.strip() else None
    if unit is None:
        raise ValidationError({field: _("No unit has the code “%(code)s”.") % {"code": code.strip()}})
    return unit


def _current_campaign(request: HttpRequest) -> Campaign | None:
    key = request.GET.get("campaign", "")
    if key:
        return campaign_by_key(key=key)
    return Campaign.objects.order_by("-starts_on", "key").first()


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where supervision starts: the office's groups, a supervisor's units, a unit's findings."""
    campaign = _current_campaign(request)
    user = request.user
    manages = policy.scope_units(user, "supervision.manage")
    context = {
        "campaign": campaign,
        "groups": list(selectors.groups_visible(actor=user, campaign=campaign)) if campaign else [],
        "manage_units": manages,
        "inspects": policy.allows_anywhere(user, "supervision.inspect"),
        "view_units": policy.scope_units(user, "supervision.view"),
    }
    if not (context["groups"] or manages or context["view_units"]):
        raise PermissionDenied("supervision")
    return render(request, "supervision/home.html", context)


@login_required
@require_POST
def group_create(request: HttpRequest, campaign_key: str) -> HttpResponse:
    if not policy.allows_anywhere(request.user, "supervision.manage"):
        raise PermissionDenied("supervision.manage")  # before the form is read, valid or not
    campaign = campaign_by_key(key=campaign_key)
    try:
        leading = _unit_by_code(request.POST.get("leading_unit", ""), "leading_unit")
        group = services.group_create(
            actor=request.user, campaign=campaign, name=request.POST.get("name", ""), leading_unit=leading
        )
    except ValidationError as error:
        messages.error(request, _explain(error))
        return redirect(f"{_home_url()}?campaign={campaign.key}")
    messages.success(request, _("Supervision group formed."))
    return redirect(group)


def _home_url() -> str:
    from django.urls import reverse

    return reverse("supervision-home")


@login_required
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    group = selectors.group_get(actor=request.user, group_id=group_id)
    return render(
        request,
        "supervision/group_detail.html",
        {
            "group": group,
            "members": group.members.select_related("person").order_by("role", "person__username"),
            "coverage": group.coverage.select_related("unit").order_by("unit__path"),
            "inspections": selectors.inspections_of_group(group),
            "manages": selectors.may_manage(request.user, group),
            "is_member": services.is_member(request.user, group) and not policy.is_system(request.user),
            "member_roles": MemberRole.choices,
            "kinds": InspectionKind.choices,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def group_act(request: HttpRequest, group_id: int) -> HttpResponse:
    """The office's changes to a group: rename, members, coverage, and planning inspections."""
    group = selectors.group_get(actor=request.user, group_id=group_id)
    data, actor, action = request.POST, request.user, request.POST.get("action", "")

    def person() -> Person:
        found = Person.objects.filter(username=data.get("username", "").strip()).first()
        if found is None:
            raise ValidationError({"username": _("No staff member has this username.")})
        return found

    steps: dict[str, tuple[Callable[[], object], str]] = {
        "rename": (
            lambda: services.group_rename(
                actor=actor,
                group=group,
                name=data.get("name", ""),
                expected_version=_int(data.get("version")),
            ),
            _("Group renamed."),
        ),
        "add_member": (
            lambda: services.member_add(
                actor=actor, group=group, person=person(), role=data.get("role", MemberRole.MEMBER)
            ),
            _("Member added; they now supervise the units the group covers."),
        ),
        "remove_member": (
            lambda: services.member_remove(actor=actor, group=group, person=person()),
            _("Member removed."),
        ),
        "add_unit": (
            lambda: services.coverage_add(
                actor=actor, group=group, unit=_unit_by_code(data.get("unit_code", ""))
            ),
            _("The group now covers this unit and everything below it."),
        ),
        "remove_unit": (
            lambda: services.coverage_remove(
                actor=actor, group=group, unit=_unit_by_code(data.get("unit_code", ""))
            ),
            _("The group no longer covers this unit."),
        ),
        "plan": (
            lambda: services.inspection_plan(
                actor=actor,
                group=group,
                unit=_unit_by_code(data.get("unit_code", "")),
                planned_on=_date(data.get("planned_on", ""), "planned_on"),
                kind=data.get("kind", InspectionKind.ANNOUNCED),
            ),
            _("Inspection planned."),
        ),
    }
    if action not in steps:
        raise Http404("no such action")
    _attempt(request, *steps[action])
    return redirect(group)


@login_required
def my_units(request: HttpRequest, campaign_key: str) -> HttpResponse:
    """A supervisor's covered units in one place: ledgers, overdue measures, key links, suggestions."""
    campaign = campaign_by_key(key=campaign_key)
    if not policy.allows_anywhere(request.user, "supervision.inspect"):
        raise PermissionDenied("supervision.inspect")
    rows = selectors.my_units(actor=request.user, campaign=campaign)
    inspections = (
        Inspection.objects.filter(campaign=campaign, group__members__person_id=request.user.pk or 0)
        .select_related("unit", "group")
        .order_by("status", "planned_on", "id")
        .distinct()[:100]
    )
    return render(
        request,
        "supervision/my_units.html",
        {"campaign": campaign, "rows": rows, "inspections": inspections, "today": timezone.localdate()},
    )


@login_required
def inspection_detail(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = selectors.inspection_get(actor=request.user, inspection_id=inspection_id)
    member = services.is_member(request.user, inspection.group) and policy.allows(
        request.user, "supervision.inspect", inspection.unit
    )
    findings = list(
        selectors.with_rectification(
            inspection.findings.select_related("problem", "category", "unit", "notice")
        ).prefetch_related("evidence")
    )
    today = timezone.localdate()
    for finding in findings:
        finding.state = selectors.rectification_state(finding, today)  # type: ignore[attr-defined]
    previous = []
    if inspection.follows_id:
        previous = list(
            selectors.with_rectification(inspection.follows.findings.select_related("problem", "unit"))  # type: ignore[union-attr]
        )
        for finding in previous:
            finding.state = selectors.rectification_state(finding, today)  # type: ignore[attr-defined]
    return render(
        request,
        "supervision/inspection_detail.html",
        {
            "inspection": inspection,
            "member": member,
            "findings": findings,
            "previous_findings": previous,
            "notices": inspection.notices.select_related("issued_by"),
            "reinspections": inspection.reinspections.order_by("planned_on"),
            "categories": inspection.campaign.categories.order_by("position"),
            "methods": InspectionMethod.choices,
            "answers": ChecklistAnswer.choices,
            "statuses": InspectionStatus,
            "today": today,
            "ancestors": unit_ancestors(unit=inspection.unit),
        },
    )


@login_required
@require_POST
def inspection_act(request: HttpRequest, inspection_id: int) -> HttpResponse:
    """A member's steps on an inspection: record it, add findings, issue a notice, plan a re-inspection."""
    inspection = selectors.inspection_get(actor=request.user, inspection_id=inspection_id)
    data, actor, action = request.POST, request.user, request.POST.get("action", "")
    if action == "record":
        answers = {
            item["key"]: (data.get(f"answer_{item['key']}", ""), data.get(f"note_{item['key']}", ""))
            for item in inspection.checklist
        }
        _attempt(
            request,
            lambda: services.inspection_record(
                actor=actor,
                inspection=inspection,
                inspected_on=_date(data.get("inspected_on", ""), "inspected_on"),
                method=data.get("method", ""),
                checked=data.get("checked", ""),
                answers=answers,
                expected_version=_int(data.get("version")),
            ),
            _("Inspection recorded. Now record its findings."),
        )
    elif action == "finding":

        def record() -> object:
            category = None
            if data.get("category"):
                category = inspection.campaign.categories.filter(pk=_int(data.get("category"))).first()
                if category is None:
                    raise ValidationError({"category": _("Choose one of the campaign's categories.")})
            code = data.get("unit_code", "").strip()
            return services.finding_record(
                actor=actor,
                unit=_unit_by_code(code) if code else inspection.unit,
                campaign=inspection.campaign,
                text=data.get("text", ""),
                category=category,
                deadline=_optional_date(data.get("deadline", ""), "deadline"),
                inspection=inspection,
                evidence_note=data.get("evidence_note", ""),
                uploads=request.FILES.getlist("files"),
            )

        _attempt(request, record, _("Finding recorded; it is now a problem in the unit's ledger."))
    elif action == "notice":
        _attempt(
            request,
            lambda: services.notice_issue(
                actor=actor,
                inspection=inspection,
                text=data.get("text", ""),
                deadline=_optional_date(data.get("deadline", ""), "deadline"),
            ),
            _("Rectification notice issued to the unit."),
        )
    elif action == "reinspect":
        _attempt(
            request,
            lambda: services.inspection_plan(
                actor=actor,
                group=inspection.group,
                unit=inspection.unit,
                planned_on=_date(data.get("planned_on", ""), "planned_on"),
                kind=data.get("kind", InspectionKind.SPOT),
                follows=inspection,
            ),
            _("Re-inspection scheduled."),
        )
    else:
        raise Http404("no such action")
    return redirect(inspection)


@login_required
def finding_detail(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = selectors.finding_get(actor=request.user, finding_id=finding_id)
    return render(
        request,
        "supervision/finding_detail.html",
        {
            "finding": finding,
            "state": selectors.rectification_state(finding),
            "measures": selectors.open_measures(finding),
            "evidence": finding.evidence.all(),
        },
    )


@login_required
def finding_of_problem(request: HttpRequest, problem_id: int) -> HttpResponse:
    """From a ledger problem with source "supervision" to the finding it came from."""
    from dalun.supervision.models import Finding

    finding = Finding.objects.filter(problem_id=problem_id).select_related("unit").first()
    # Whether another unit's problem came from supervision is not everyone's business: 404 alike.
    if finding is None or not policy.allows(request.user, "supervision.view", finding.unit):
        raise Http404("no such finding")
    return redirect("supervision-finding", finding.pk)


@login_required
def findings_queue(request: HttpRequest, unit_id: int, campaign_key: str) -> HttpResponse:
    """A unit's findings: what supervisors found, by when to rectify, and how far rectification is."""
    unit, campaign = unit_get(unit_id=unit_id), campaign_by_key(key=campaign_key)
    rows = list(selectors.findings_for_unit(actor=request.user, unit=unit, campaign=campaign)[:500])
    today = timezone.localdate()
    for finding in rows:
        finding.state = selectors.rectification_state(finding, today)  # type: ignore[attr-defined]
    return render(
        request,
        "supervision/findings_queue.html",
        {"unit": unit, "campaign": campaign, "rows": rows, "ancestors": unit_ancestors(unit=unit)},
    )


@login_required
def dashboard(request: HttpRequest, unit_id: int, campaign_key: str) -> HttpResponse:
    unit, campaign = unit_get(unit_id=unit_id), campaign_by_key(key=campaign_key)
    board = selectors.dashboard(actor=request.user, unit=unit, campaign=campaign)
    return render(
        request,
        "supervision/dashboard.html",
        {
            "board": board,
            "ancestors": unit_ancestors(unit=unit),
            "children": Unit.objects.filter(parent=unit)[:200],
        },
    )


@login_required
def evidence_download(request: HttpRequest, evidence_id: int) -> FileResponse:
    evidence = FindingEvidence.objects.select_related("finding__unit").filter(pk=evidence_id).first()
    if evidence is None or not policy.allows(request.user, "supervision.view", evidence.finding.unit):
        raise Http404("no such evidence")
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name)
