"""Ledger export (Excel workbook of the three lists, or one list as CSV) and import from the same workbook."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.campaigns.selectors import campaign_get
from dalun.ledger import exchange
from dalun.ledger.exchange.columns import MAX_IMPORT_BYTES
from dalun.ledger.forms import LedgerImportForm
from dalun.org import policy
from dalun.org.importing import RowError
from dalun.org.models import Unit
from dalun.org.selectors import unit_get

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def attachment(filename: str, ascii_fallback: str) -> str:
    """A Content-Disposition header that keeps a Chinese file name (RFC 6266 / RFC 5987 ``filename*``)."""
    fallback = _UNSAFE.sub("_", ascii_fallback.encode("ascii", "ignore").decode()) or "ledger"
    return (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(_UNSAFE.sub('_', filename), safe='')}"
    )


def _filename(unit: Unit, campaign_key: str, title: str, suffix: str) -> tuple[str, str]:
    day = timezone.localdate().isoformat()
    code = unit.code or f"unit-{unit.pk}"
    return f"{unit.name}-{title}-{day}.{suffix}", f"ledger-{code}-{campaign_key}-{day}.{suffix}"


@login_required
def ledger_export(request: HttpRequest, unit_id: int, campaign_key: str) -> HttpResponse:
    """``?format=xlsx`` (the three lists) or ``?format=csv&list=problems|measures|responsibility``."""
    unit, campaign = unit_get(unit_id=unit_id), campaign_get(key=campaign_key)
    if not (
        policy.allows(request.user, "dashboard.view", unit)
        or policy.allows(request.user, "unit.view_internal", unit)
    ):
        raise PermissionDenied("ledger export")
    kind, which = request.GET.get("format", "xlsx"), request.GET.get("list", "problems")
    if kind == "xlsx":
        content = exchange.ledger_workbook(actor=request.user, root=unit, campaign=campaign)
        name, fallback = _filename(unit, campaign.key, "台账", "xlsx")
        content_type = XLSX
    elif kind == "csv" and which in exchange.LISTS:
        content = exchange.ledger_csv(actor=request.user, root=unit, campaign=campaign, which=which)
        name, fallback = _filename(unit, campaign.key, exchange.LISTS[which], "csv")
        fallback = fallback.replace(".csv", f"-{which}.csv")
        content_type = "text/csv; charset=utf-8"
    else:
        return HttpResponseBadRequest(
            _(
                "Unknown export: choose format=xlsx, or format=csv with list=problems, measures "
                "or responsibility."
            )
        )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = attachment(name, fallback)
    return response


@login_required
def ledger_import_view(request: HttpRequest, unit_id: int, campaign_key: str) -> HttpResponse:
    """GET: the upload form. POST: import the workbook whole, or list every error and import nothing."""
    unit, campaign = unit_get(unit_id=unit_id), campaign_get(key=campaign_key)
    policy.require(request.user, "ledger.edit", unit)
    form = LedgerImportForm(request.POST or None, request.FILES or None)
    errors: list[RowError] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:  # read one byte past the limit, so that a larger file is refused without reading it all
            content = upload.read(MAX_IMPORT_BYTES + 1)
            result = exchange.ledger_import(
                actor=request.user, unit=unit, campaign=campaign, content=content, filename=upload.name or ""
            )
        except exchange.LedgerImportError as refused:
            errors = refused.errors
        else:
            messages.success(
                request,
                _(
                    "Imported: %(problems)s new problems and %(measures)s new measures; %(unchanged)s rows "
                    "were already in the ledger, unchanged."
                )
                % {
                    "problems": result.problems_created,
                    "measures": result.measures_created,
                    "unchanged": result.unchanged,
                },
            )
            return redirect("ledger-detail", unit.pk, campaign.key)
    return render(
        request,
        "ledger/ledger_import.html",
        {"form": form, "unit": unit, "campaign": campaign, "errors": errors},
    )
