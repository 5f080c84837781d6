"""Alert pages: the list over the actor's scope, one alert explained, confirm and dismiss."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dalun.campaigns.models import Campaign
from dalun.formalism import selectors, services
from dalun.formalism.choices import AlertKind, AlertStatus
from dalun.formalism.forms import ConfirmForm, DismissForm
from dalun.org import policy
from dalun.org.models import Unit


def _explain(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(problems)}" for field, problems in error.message_dict.items())
    return " ".join(error.messages)


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    if not policy.allows_anywhere(request.user, "alert.view"):
        raise PermissionDenied
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", AlertStatus.OPEN)
    campaign = Campaign.objects.filter(key=request.GET.get("campaign", "")).first()
    unit = None
    unit_id = request.GET.get("unit", "")
    if unit_id.isdigit():
        unit = Unit.objects.filter(pk=int(unit_id)).first()
    alerts = selectors.alert_list(actor=request.user, campaign=campaign, kind=kind, status=status, unit=unit)
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "formalism/alert_list.html",
        {
            "page": page,
            "kind": kind,
            "status": status,
            "unit": unit,
            "campaign": campaign,
            "kinds": AlertKind.choices,
            "statuses": AlertStatus.choices,
            "may_scan": bool(_scannable(request.user)),
            "last_scan": selectors.last_scan(campaign=campaign),
        },
    )


def _texts(alert: Any, links: dict[str, selectors.RecordLink]) -> list[dict[str, Any]]:
    return [
        {
            **text,
            "html": selectors.highlighted(text["text"], text.get("spans", [])),
            "link": links.get(text["ref"]),
        }
        for text in alert.explanation.get("texts", [])
    ]


@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = selectors.alert_get(actor=request.user, alert_id=alert_id)
    links = selectors.record_links(alert)
    may_review = policy.allows(request.user, "alert.review", alert.unit) and alert.status in {
        AlertStatus.OPEN,
        AlertStatus.RESOLVED,
    }
    finding_url = ""
    if alert.finding_id:
        try:
            from django.urls import reverse

            finding_url = reverse("supervision-finding", args=[alert.finding_id])
        except Exception:  # noqa: BLE001 - supervision pages not installed
            finding_url = ""
    return render(
        request,
        "formalism/alert_detail.html",
        {
            "alert": alert,
            "texts": _texts(alert, links),
            "records": [links[record["ref"]] for record in alert.records if record["ref"] in links],
            "explanation": alert.explanation,
            "may_review": may_review,
            "confirm_form": ConfirmForm(),
            "dismiss_form": DismissForm(),
            "finding_url": finding_url,
            "ledger_url": _ledger_url(alert),
        },
    )


def _ledger_url(alert: Any) -> str:
    from django.urls import reverse

    return reverse("ledger-detail", args=[alert.unit_id, alert.campaign.key])


@login_required
@require_POST
def alert_confirm(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = selectors.alert_get(actor=request.user, alert_id=alert_id)
    policy.require(request.user, "alert.review", alert.unit)  # before the form is read, valid or not
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(str(e) for e in errors)}")
        return redirect(alert)
    try:
        services.alert_confirm(
            actor=request.user,
            alert=alert,
            text=form.cleaned_data["text"],
            deadline=form.cleaned_data["deadline"],
        )
    except ValidationError as error:
        messages.error(request, _explain(error))
        return redirect(alert)
    messages.success(request, _("Alert confirmed: the finding is in the unit's ledger."))
    return redirect(alert)


@login_required
@require_POST
def alert_dismiss(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = selectors.alert_get(actor=request.user, alert_id=alert_id)
    policy.require(request.user, "alert.review", alert.unit)  # before the form is read, valid or not
    form = DismissForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(str(e) for e in errors)}")
        return redirect(alert)
    try:
        services.alert_dismiss(actor=request.user, alert=alert, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, _explain(error))
        return redirect(alert)
    messages.success(request, _("Alert dismissed. It comes back only if its records change."))
    return redirect(alert)


def _scannable(actor: Any) -> list[Campaign]:
    """Campaigns the actor may scan: those whose leading unit is in their alert.review scope."""
    return [
        campaign
        for campaign in Campaign.objects.select_related("owner_unit")
        if policy.allows(actor, "alert.review", campaign.owner_unit)
    ]


@login_required
@require_POST
def scan_now(request: HttpRequest) -> HttpResponse:
    """Queue a scan of every campaign the actor may scan (the office of the leading unit)."""
    from dalun.formalism.tasks import scan

    campaigns = _scannable(request.user)
    if not campaigns:
        raise PermissionDenied
    for campaign in campaigns:
        scan.enqueue(campaign.key)
    messages.success(request, _("The scan has been queued; alerts appear when it finishes."))
    return redirect("formalism-alerts")
