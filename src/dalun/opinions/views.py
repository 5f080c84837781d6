"""The public's pages of opinion maps: vote on statements one at a time, write one's own, see the map.

No account is needed: a participant is the random id in the portal's signed cookie (the same one that counts
supports of suggestions), or the account of a signed-in person. Votes and statements are rate-limited per
network. With htmx a vote swaps the statement card in place; without JavaScript the form posts and the page
reloads with the next statement.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dalun.ledger.views import _explain
from dalun.opinions import selectors, services
from dalun.opinions.forms import StatementForm
from dalun.opinions.models import OpinionMap, Statement
from dalun.portal.views import PARTICIPANT_COOKIE, participant_id
from dalun.web.http import HtmxHttpRequest
from dalun.web.ratelimit import RateLimited, client_network, hit, too_many

# Per hour. A network may hide many people (a campus, a mobile carrier), a participant is one person.
VOTE_LIMIT, STATEMENT_LIMIT, WINDOW = 2000, 20, 3600
PARTICIPANT_VOTE_LIMIT, PARTICIPANT_STATEMENT_LIMIT = 600, 5


def _participant(request: HttpRequest) -> tuple[str, str | None]:
    """The participant key, and the cookie id to (re)set when the person is not signed in."""
    if request.user.is_authenticated:
        return services.person_key(request.user), None
    cookie = participant_id(request)
    return cookie, cookie


def _remember(response: HttpResponse, cookie: str | None) -> HttpResponse:
    if cookie:
        response.set_signed_cookie(
            PARTICIPANT_COOKIE,
            cookie,
            salt="participant",
            max_age=3 * 365 * 86400,
            httponly=True,
            samesite="Lax",
        )
    return response


def public_list(request: HttpRequest) -> HttpResponse:
    return render(request, "opinions/public_list.html", {"maps": selectors.public_maps()[:50]})


def _ballot_context(opinion_map: OpinionMap, key: str) -> dict[str, object]:
    return {
        "map": opinion_map,
        "ballot": selectors.ballot(opinion_map=opinion_map, key=key),
        "open": services.is_open_for_public(opinion_map),
    }


def vote_page(request: HttpRequest, map_id: int) -> HttpResponse:
    opinion_map = selectors.public_get(map_id=map_id)
    key, cookie = _participant(request)
    context = _ballot_context(opinion_map, key)
    context["form"] = StatementForm()
    return _remember(render(request, "opinions/vote.html", context), cookie)


@require_POST
def vote(request: HtmxHttpRequest, map_id: int) -> HttpResponse:
    opinion_map = selectors.public_get(map_id=map_id)
    key, cookie = _participant(request)
    network = client_network(request)
    statement = Statement.objects.filter(
        pk=_number(request.POST.get("statement")), opinion_map=opinion_map
    ).first()
    try:
        hit("opinion-vote", network, limit=VOTE_LIMIT, window=WINDOW)
        hit("opinion-vote-participant", key, limit=PARTICIPANT_VOTE_LIMIT, window=WINDOW)
        if statement is None:
            raise ValidationError({"statement": _("This statement is not open for votes.")})
        services.vote_cast(
            opinion_map=opinion_map,
            statement=statement,
            value=_number(request.POST.get("value"), default=99),
            participant_key=key,
            person=request.user,
            network=network,
        )
    except RateLimited as error:
        return too_many(error)
    except ValidationError as error:
        messages.error(request, _explain(error))
    if request.htmx:
        return _remember(render(request, "opinions/_ballot.html", _ballot_context(opinion_map, key)), cookie)
    return _remember(redirect("opinion-vote", opinion_map.pk), cookie)


@require_POST
def submit_statement(request: HttpRequest, map_id: int) -> HttpResponse:
    opinion_map = selectors.public_get(map_id=map_id)
    key, cookie = _participant(request)
    form = StatementForm(request.POST)
    if form.is_valid():
        network = client_network(request)
        try:
            hit("opinion-statement", network, limit=STATEMENT_LIMIT, window=WINDOW)
            hit("opinion-statement-participant", key, limit=PARTICIPANT_STATEMENT_LIMIT, window=WINDOW)
            services.statement_submit(
                opinion_map=opinion_map,
                text=form.cleaned_data["text"],
                participant_key=key,
                person=request.user,
                network=network,
            )
        except RateLimited as error:
            return too_many(error)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(
                request,
                _("Thank you. Your statement will be shown to others once a moderator has accepted it."),
            )
            return _remember(redirect("opinion-vote", opinion_map.pk), cookie)
    context = _ballot_context(opinion_map, key)
    context["form"] = form
    return _remember(render(request, "opinions/vote.html", context, status=400), cookie)


def results(request: HttpRequest, map_id: int) -> HttpResponse:
    opinion_map = selectors.public_get(map_id=map_id)
    return render(
        request,
        "opinions/results.html",
        {"map": opinion_map, "view": selectors.map_view(opinion_map=opinion_map)},
    )


def _number(value: str | None, *, default: int = 0) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default
