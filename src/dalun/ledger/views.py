"""Ledger pages: a unit's ledger, a measure's page, and the forms that post to the services.

Forms post and redirect back (post/redirect/get); a refused change comes back as a message that names the
field, and nothing is half-written because every service is one transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dalun.campaigns.models import KeyLinkObligation
from dalun.campaigns.selectors import campaign_by_key
from dalun.ledger import selectors, services
from dalun.ledger.choices import LedgerStatus, MeasureStatus
from dalun.ledger.forms import (
    CommentForm,
    EvidenceForm,
    KeyLinkReportForm,
    MeasureForm,
    ProblemForm,
    ProgressForm,
)
from dalun.ledger.models import Ledger, Measure, Problem
from dalun.org import policy
from dalun.org.selectors import unit_ancestors, unit_get


def _explain(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(problems)}" for field, problems in error.message_dict.items())
    return " ".join(error.messages)


def _attempt(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Run a service; report its refusal as a message naming the field, or its success."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, _explain(error))
        return False
    except services.ConcurrentEditError as error:
        messages.error(request, f"{error} {error.current}")
        return False
    messages.success(request, success)
    return True


def _form_errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label or field}: {' '.join(errors)}")


def ledger_detail(request: HttpRequest, unit_id: int, campaign_key: str) -> HttpResponse:
    unit, campaign = unit_get(unit_id=unit_id), campaign_by_key(key=campaign_key)
    page = selectors.ledger_page(actor=request.user, unit=unit, campaign=campaign)
    may_edit = policy.allows(request.user, "ledger.edit", unit)
    return render(
        request,
        "ledger/ledger_detail.html",
        {
            "page": page,
            "ancestors": unit_ancestors(unit=unit),
            "may_edit": may_edit,
            "may_submit": policy.allows(request.user, "ledger.submit", unit),
            "may_review": policy.allows(request.user, "ledger.review", unit),
            "may_report": policy.allows(request.user, "keylink.report", unit),
            "problem_form": ProblemForm(campaign=campaign) if may_edit else None,
            "measure_form": MeasureForm() if may_edit else None,
            "comment_form": CommentForm(),
            "report_form": KeyLinkReportForm(),
            "statuses": LedgerStatus,
        },
    )


@login_required
@require_POST
def problem_create(request: HttpRequest, unit_id: int, campaign_key: str) -> HttpResponse:
    unit, campaign = unit_get(unit_id=unit_id), campaign_by_key(key=campaign_key)
    policy.require(request.user, "ledger.edit", unit)  # refused before the form is read, valid or not
    form = ProblemForm(request.POST, campaign=campaign)
    if form.is_valid():
        ledger = services.ledger_open(actor=request.user, unit=unit, campaign=campaign)
        data = form.cleaned_data
        _attempt(
            request,
            lambda: services.problem_create(
                actor=request.user,
                ledger=ledger,
                category=data["category"],
                manifestation=data["manifestation"],
                source=data["source"],
                visibility=data["visibility"],
            ),
            _("Problem recorded."),
        )
    else:
        _form_errors(request, form)
    return redirect("ledger-detail", unit_id, campaign_key)


@login_required
@require_POST
def measure_create(request: HttpRequest, problem_id: int) -> HttpResponse:
    problem = get_object_or_404(Problem.objects.select_related("ledger__campaign", "unit"), pk=problem_id)
    policy.require(request.user, "ledger.edit", problem.unit)
    form = MeasureForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: services.measure_create(
                actor=request.user,
                problem=problem,
                action=data["action"],
                indicator=data["indicator"],
                baseline=data["baseline"],
                target=data["target"],
                target_unit=data["target_unit"],
                owner=data["owner"],
                deadline=data["deadline"],
                working_days=data["working_days"],
            ),
            _("Measure added."),
        )
    else:
        _form_errors(request, form)
    return redirect(problem.get_absolute_url())


def measure_detail(request: HttpRequest, measure_id: int) -> HttpResponse:
    measure = selectors.measure_get(actor=request.user, measure_id=measure_id)
    may_edit = policy.allows(request.user, "ledger.edit", measure.unit)
    # The form edits a copy: a refused post must not leave its values in the measure the page shows.
    form = MeasureForm(
        request.POST or None, instance=copy.copy(measure), initial={"version": measure.version}
    )
    conflict = None
    if request.method == "POST":
        policy.require(request.user, "ledger.edit", measure.unit)
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in services.MEASURE_FIELDS}
            changes["deadline"] = changes["deadline"] or measure.deadline
            try:
                services.measure_update(
                    actor=request.user,
                    measure=measure,
                    expected_version=form.cleaned_data["version"] or 0,
                    **changes,
                )
            except services.ConcurrentEditError as error:
                conflict = error.current
                form.add_error(
                    None,
                    str(error) + " " + _("Their version is shown below; your changes are still in the form."),
                )
            except ValidationError as error:
                form.add_error(None, _explain(error))
            else:
                messages.success(request, _("Saved."))
                return redirect(measure.get_absolute_url())
    return render(
        request,
        "ledger/measure_detail.html",
        {
            "measure": measure,
            "ancestors": [*unit_ancestors(unit=measure.unit), measure.unit],
            "events": measure.events.select_related("actor").order_by("-at", "-id"),
            "evidence": measure.evidence.all(),
            "overdue": selectors.is_overdue(measure.deadline, measure.status),
            "may_edit": may_edit and measure.status != MeasureStatus.CLOSED,
            "may_verify": policy.allows(request.user, "measure.verify", measure.unit),
            "form": form,
            "conflict": conflict,
            "progress_form": ProgressForm(initial={"percent": measure.progress}),
            "evidence_form": EvidenceForm(),
            "comment_form": CommentForm(),
        },
    )


def _measure_for_post(request: HttpRequest, measure_id: int) -> Measure:
    return selectors.measure_get(actor=request.user, measure_id=measure_id)


@login_required
@require_POST
def measure_progress(request: HttpRequest, measure_id: int) -> HttpResponse:
    measure = _measure_for_post(request, measure_id)
    policy.require(request.user, "ledger.edit", measure.unit)
    form = ProgressForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: services.measure_progress(
                actor=request.user,
                measure=measure,
                percent=form.cleaned_data["percent"],
                text=form.cleaned_data["text"],
            ),
            _("Progress posted."),
        )
    else:
        _form_errors(request, form)
    return redirect(measure.get_absolute_url())


@login_required
@require_POST
def evidence_upload(request: HttpRequest, measure_id: int) -> HttpResponse:
    measure = _measure_for_post(request, measure_id)
    policy.require(request.user, "ledger.edit", measure.unit)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        _attempt(
            request,
            lambda: services.evidence_attach(
                actor=request.user, measure=measure, upload=form.cleaned_data["file"]
            ),
            _("Evidence attached."),
        )
    else:
        _form_errors(request, form)
    return redirect(measure.get_absolute_url())


@login_required
@require_POST
def measure_request_close(request: HttpRequest, measure_id: int) -> HttpResponse:
    measure = _measure_for_post(request, measure_id)
    _attempt(
        request,
        lambda: services.measure_request_close(
            actor=request.user, measure=measure, text=request.POST.get("comment", "")
        ),
        _("Put forward for verification."),
    )
    return redirect(measure.get_absolute_url())


@login_required
@require_POST
def measure_verify(request: HttpRequest, measure_id: int) -> HttpResponse:
    measure = _measure_for_post(request, measure_id)
    approve = request.POST.get("decision") == "approve"
    _attempt(
        request,
        lambda: services.measure_verify(
            actor=request.user, measure=measure, approve=approve, comment=request.POST.get("comment", "")
        ),
        _("Measure closed.") if approve else _("Measure sent back."),
    )
    return redirect(measure.get_absolute_url())


@login_required
@require_POST
def ledger_signoff(request: HttpRequest, unit_id: int, campaign_key: str) -> HttpResponse:
    """Submit (first responsible person), accept or return (the level above)."""
    ledger = get_object_or_404(
        Ledger.objects.select_related("unit", "campaign"), unit_id=unit_id, campaign__key=campaign_key
    )
    if not (
        policy.allows(request.user, "ledger.submit", ledger.unit)
        or policy.allows(request.user, "ledger.review", ledger.unit)
    ):
        raise policy.PermissionDenied("ledger sign-off")
    decision = request.POST.get("decision", "")
    posted = request.POST.get("version", "")
    # Junk (or an absurd number) counts as 0, which the service refuses as a stale version.
    version = int(posted) if posted.isdecimal() and len(posted) < 10 else 0
    comment = request.POST.get("comment", "")
    if decision == "submit":
        _attempt(
            request,
            lambda: services.ledger_submit(actor=request.user, ledger=ledger, expected_version=version),
            _("Ledger approved and submitted upward."),
        )
    elif decision in {"accept", "return"}:
        _attempt(
            request,
            lambda: services.ledger_review(
                actor=request.user,
                ledger=ledger,
                expected_version=version,
                accept=decision == "accept",
                comment=comment,
            ),
            _("Ledger accepted.") if decision == "accept" else _("Ledger returned."),
        )
    else:
        messages.error(request, _("Unknown decision."))
    return redirect("ledger-detail", unit_id, campaign_key)


@login_required
@require_POST
def keylink_report(request: HttpRequest, obligation_id: int) -> HttpResponse:
    obligation = get_object_or_404(
        KeyLinkObligation.objects.select_related("unit", "key_link", "campaign"), pk=obligation_id
    )
    policy.require(request.user, "keylink.report", obligation.unit)
    form = KeyLinkReportForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: services.keylink_report(
                actor=request.user,
                obligation=obligation,
                status=data["status"],
                reported_on=data["reported_on"],
                note=data["note"],
                upload=data["file"],
                expected_version=data["version"],
            ),
            _("Key link reported."),
        )
    else:
        _form_errors(request, form)
    return redirect("ledger-detail", obligation.unit_id, obligation.campaign.key)


def evidence_download(request: HttpRequest, evidence_id: int) -> FileResponse:
    evidence = selectors.evidence_get(actor=request.user, evidence_id=evidence_id)
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=not evidence.mime.startswith("image/"),
        filename=evidence.original_name,
        content_type=evidence.mime,
    )


def measure_list(request: HttpRequest, unit_id: int, campaign_key: str) -> HttpResponse:
    """The rows behind a dashboard figure."""
    unit, campaign = unit_get(unit_id=unit_id), campaign_by_key(key=campaign_key)
    state, category = request.GET.get("state", ""), request.GET.get("category", "")
    rows = selectors.measure_list(
        actor=request.user, root=unit, campaign=campaign, state=state, category=category
    )
    return render(
        request,
        "ledger/measure_list.html",
        {
            "unit": unit,
            "campaign": campaign,
            "state": state,
            "category": category,
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        },
    )


def problem_list(request: HttpRequest, unit_id: int, campaign_key: str) -> HttpResponse:
    unit, campaign = unit_get(unit_id=unit_id), campaign_by_key(key=campaign_key)
    category, status = request.GET.get("category", ""), request.GET.get("status", "")
    rows = selectors.problem_list(
        actor=request.user, root=unit, campaign=campaign, category=category, status=status
    )
    return render(
        request,
        "ledger/problem_list.html",
        {
            "unit": unit,
            "campaign": campaign,
            "category": category,
            "status": status,
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        },
    )
