"""The public's pages. No account: a suggestion is followed by its receipt code; a support is counted once
per participant (a pseudonymous id in a cookie) and rate-limited per network."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dalun.campaigns.models import Campaign
from dalun.ledger.selectors import ledger_page
from dalun.ledger.views import _explain
from dalun.org.models import Unit
from dalun.org.selectors import unit_ancestors, unit_get
from dalun.voices import selectors, services
from dalun.voices.forms import RatingForm, SuggestionForm
from dalun.voices.models import Suggestion
from dalun.web.ratelimit import RateLimited, client_network, hit, too_many

PARTICIPANT_COOKIE = "dalun_participant"
SUPPORT_LIMIT, WINDOW = 60, 3600


def current_campaign() -> Campaign:
    campaign = Campaign.objects.select_related("owner_unit").order_by("-starts_on").first()
    if campaign is None:
        raise Http404("no campaign")
    return campaign


def participant_id(request: HttpRequest) -> str:
    return request.get_signed_cookie(PARTICIPANT_COOKIE, default="", salt="participant") or secrets.token_hex(
        16
    )


def _with_participant(request: HttpRequest, response: HttpResponse, participant: str) -> HttpResponse:
    response.set_signed_cookie(
        PARTICIPANT_COOKIE,
        participant,
        salt="participant",
        max_age=3 * 365 * 86400,
        httponly=True,
        samesite="Lax",
    )
    return response


def home(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign()
    return render(
        request,
        "portal/home.html",
        {
            "campaign": campaign,
            "recent": selectors.public_suggestions(campaign=campaign)[:10],
        },
    )


def suggestion_list(request: HttpRequest) -> HttpResponse:
    campaign, query = current_campaign(), request.GET.get("q", "").strip()[:100]
    rows = selectors.public_suggestions(campaign=campaign, query=query)
    return render(
        request,
        "portal/suggestion_list.html",
        {
            "campaign": campaign,
            "query": query,
            "page": Paginator(rows, 20).get_page(request.GET.get("page")),
        },
    )


def suggestion_detail(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = selectors.public_get(suggestion_id=suggestion_id)
    return render(request, "portal/suggestion_detail.html", {"suggestion": suggestion})


@require_POST
def suggestion_support(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = selectors.public_get(suggestion_id=suggestion_id)
    participant = participant_id(request)
    try:
        hit("support", client_network(request), limit=SUPPORT_LIMIT, window=WINDOW)
        counted = services.suggestion_support(
            suggestion=suggestion, participant=participant, network=client_network(request)
        )
    except RateLimited as error:
        return too_many(error)
    except ValidationError as error:
        messages.error(request, _explain(error))
    else:
        messages.success(
            request, _("Thank you for your support.") if counted else _("You already support it.")
        )
    return _with_participant(request, redirect("portal-suggestion", suggestion_id), participant)


def suggest(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign()
    form = SuggestionForm(request.POST or None, request.FILES or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = Unit.objects.filter(code=data["unit_code"].strip()).first() if data["unit_code"] else None
        if data["unit_code"] and unit is None:
            form.add_error("unit_code", _("No unit has this code."))
        else:
            try:
                suggestion = services.suggestion_submit(
                    campaign=campaign,
                    title=data["title"],
                    text=data["text"],
                    category=campaign.categories.filter(pk=data["category"] or 0).first(),
                    concerns_unit=unit,
                    contact=data["contact"],
                    attachments=data["attachments"],
                    network=client_network(request),
                )
            except RateLimited as error:
                return too_many(error)
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(
                    request,
                    _(
                        "Your suggestion has been sent. Write down its receipt code or keep "
                        "this page's address to follow it."
                    ),
                )
                return redirect("portal-receipt", suggestion.receipt_code)
    return render(
        request,
        "portal/suggest.html",
        {"campaign": campaign, "form": form},
        status=400 if form.errors else 200,
    )


def receipt(request: HttpRequest, code: str) -> HttpResponse:
    suggestion = selectors.by_receipt(code=code)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.suggestion_rate(
                suggestion=suggestion,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            messages.error(request, _explain(error))
        else:
            messages.success(request, _("Thank you for your rating."))
        return redirect("portal-receipt", suggestion.receipt_code)
    return render(request, "portal/receipt.html", {"suggestion": suggestion, "form": form})


def receipt_lookup(request: HttpRequest) -> HttpResponse:
    """Find a suggestion by its receipt code, typed in any case, with or without dashes and spaces."""
    typed = request.GET.get("code", "")
    code = normalise_receipt(typed)
    if code and Suggestion.objects.filter(receipt_code=code).exists():
        return redirect("portal-receipt", code)
    return render(
        request,
        "portal/receipt_lookup.html",
        {"typed": typed, "not_found": bool(typed.strip())},
        status=404 if typed.strip() else 200,
    )


def normalise_receipt(typed: str) -> str:
    raw = "".join(ch for ch in typed.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}" if len(raw) == 12 else typed.strip().upper()


def disclosure(request: HttpRequest, unit_id: int) -> HttpResponse:
    """What a unit promised and did, as the public may see it: public problems only, and how it answers."""
    unit, campaign = unit_get(unit_id=unit_id), current_campaign()
    page = ledger_page(actor=AnonymousUser(), unit=unit, campaign=campaign)
    return render(
        request,
        "portal/disclosure.html",
        {
            "unit": unit,
            "campaign": campaign,
            "page": page,
            "ancestors": unit_ancestors(unit=unit),
            "record": selectors.response_record(unit=unit),
            "children": Unit.objects.filter(parent=unit)[:300],
        },
    )
