"""Pages of the organisation tree: browse, search, a unit's page, editing and importing."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dalun.audit.selectors import audit_history
from dalun.campaigns.selectors import unit_obligations
from dalun.org import policy, selectors
from dalun.org.forms import UnitEditForm, UnitImportForm
from dalun.org.imports import import_job_create, import_job_get, import_job_progress
from dalun.org.services import EDITABLE_UNIT_FIELDS, ConcurrentEditError, unit_update
from dalun.web.http import HtmxHttpRequest

CHILDREN_PER_PAGE = 200


def unit_tree(request: HttpRequest) -> HttpResponse:
    roots = list(selectors.unit_roots())
    return render(request, "org/unit_tree.html", {"roots": roots})


def unit_tree_children(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The children of one tree node, loaded by htmx when it is expanded."""
    unit = selectors.unit_get(unit_id=unit_id)
    return render(request, "org/_tree_nodes.html", {"units": selectors.unit_children(unit=unit)})


def unit_search(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    results = selectors.unit_search(query=query) if query else []
    template = "org/_search_results.html" if request.htmx else "org/unit_search.html"
    return render(request, template, {"query": query, "results": results})


def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_get(unit_id=unit_id)
    children = Paginator(selectors.unit_children(unit=unit), CHILDREN_PER_PAGE).get_page(
        request.GET.get("page")
    )
    can_see_internal = policy.allows(request.user, "unit.view_internal", unit)
    return render(
        request,
        "org/unit_detail.html",
        {
            "unit": unit,
            "ancestors": selectors.unit_ancestors(unit=unit),
            "children": children,
            "people": selectors.unit_people(actor=request.user, unit=unit),
            "can_see_internal": can_see_internal,
            "can_edit": policy.allows(request.user, "unit.change", unit),
            "obligations": unit_obligations(unit=unit),
            "history": list(audit_history(obj=unit, limit=20)) if can_see_internal else [],
        },
    )


@login_required
def unit_edit(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_editable_or_404(actor=request.user, unit_id=unit_id)
    # The form edits a copy: a refused post must not leave its values in the unit the page shows.
    form = UnitEditForm(request.POST or None, instance=copy.copy(unit), initial={"version": unit.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in EDITABLE_UNIT_FIELDS}
        try:
            unit_update(
                actor=request.user, unit=unit, expected_version=form.cleaned_data["version"], **changes
            )
        except ConcurrentEditError as error:
            conflict = error.current
            form.add_error(
                None,
                str(error)
                + " "
                + _(
                    "Their version is shown below; your changes are still "
                    "in the form. Reload to start from theirs."
                ),
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            messages.success(request, _("Saved."))
            return redirect(unit.get_absolute_url())
    return render(request, "org/unit_edit.html", {"unit": unit, "form": form, "conflict": conflict})


@login_required
def unit_import(request: HttpRequest) -> HttpResponse:
    if not policy.allows_anywhere(request.user, "unit.import"):
        raise policy.PermissionDenied("unit.import")
    form = UnitImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(
            actor=request.user,
            upload=form.cleaned_data["file"],
            encoding=form.cleaned_data["encoding"],
            language=request.LANGUAGE_CODE,
        )
        return redirect(job.get_absolute_url())
    return render(request, "org/unit_import.html", {"form": form})


@login_required
def unit_import_detail(request: HtmxHttpRequest, job_id: int) -> HttpResponse:
    """The import's progress bar; htmx polls the same URL until the job is finished."""
    job = import_job_get(actor=request.user, job_id=job_id)
    template = "org/_import_status.html" if request.htmx else "org/unit_import_detail.html"
    return render(request, template, {"job": job, "progress": import_job_progress(job=job, cache=cache)})
