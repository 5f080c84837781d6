"""The history page of an object: who changed what, and when, for the staff entitled to see it."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dalun.audit import selectors

PER_PAGE = 50


@login_required
def object_history(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    obj = selectors.history_object_get(actor=request.user, object_type=object_type, object_id=object_id)
    page = Paginator(selectors.history_entries(obj=obj), PER_PAGE).get_page(request.GET.get("page"))
    model = type(obj)
    rows = [(entry, selectors.entry_changes(entry, model)) for entry in page.object_list]
    return render(
        request,
        "audit/history.html",
        {
            "object": obj,
            "object_url": obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "",
            "model_name": model._meta.verbose_name,
            "page": page,
            "rows": rows,
        },
    )
