"""The moderators' pages of opinion maps: open a map, seed and promote statements, moderate participants'
statements, open and close voting, see the map, export it and import a Pol.is export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dalun.campaigns.models import Breakthrough, Campaign
from dalun.ledger.exchange_views import attachment
from dalun.ledger.views import _explain
from dalun.opinions import exchange, selectors, services
from dalun.opinions.choices import MapStatus, StatementStatus
from dalun.opinions.forms import ImportForm, MapForm, SeedForm
from dalun.opinions.models import Statement
from dalun.org import policy
from dalun.org.models import Unit
from dalun.voices.models import Suggestion


def _require_moderator(request: HttpRequest) -> None:
    if not policy.allows_anywhere(request.user, "opinion.moderate"):
        raise policy.PermissionDenied("opinion.moderate")


def _campaigns(request: HttpRequest) -> list[Campaign]:
    return [
        c
        for c in Campaign.objects.select_related("owner_unit").order_by("-starts_on")
        if policy.allows(request.user, "opinion.moderate", c.owner_unit)
    ]


@login_required
def map_list(request: HttpRequest) -> HttpResponse:
    _require_moderator(request)
    return render(request, "opinions/map_list.html", {"maps": selectors.moderated_maps(actor=request.user)})


@login_required
def map_create(request: HttpRequest) -> HttpResponse:
    _require_moderator(request)
    campaigns = _campaigns(request)
    form = MapForm(request.POST or None, campaigns=campaigns)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        campaign = next(c for c in campaigns if str(c.pk) == data["campaign"])
        unit = (
            Unit.objects.filter(code=data["unit_code"].strip()).first() if data["unit_code"].strip() else None
        )
        try:
            if data["unit_code"].strip() and unit is None:
                raise ValidationError({"unit_code": _("No unit has this code.")})
            opinion_map = services.opinion_map_create(
                actor=request.user,
                campaign=campaign,
                question=data["question"],
                description=data["description"],
                unit=unit,
                breakthrough=Breakthrough.objects.filter(pk=data["breakthrough"] or 0).first(),
                statements=data["statements"],
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(
                    "unit_code" if field == "unit" else field if field in form.fields else None, problems
                )
        else:
            messages.success(
                request, _("The map is open for preparation. Open it for votes when it is ready.")
            )
            return redirect("opinion-manage", opinion_map.pk)
    return render(request, "opinions/map_create.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def map_manage(request: HttpRequest, map_id: int) -> HttpResponse:
    opinion_map = selectors.moderated_get(actor=request.user, map_id=map_id)
    statements = list(selectors.statements_of(opinion_map=opinion_map))
    return render(
        request,
        "opinions/map_manage.html",
        {
            "map": opinion_map,
            "view": selectors.map_view(opinion_map=opinion_map),
            "pending": [s for s in statements if s.status == StatementStatus.PENDING],
            "statements": [s for s in statements if s.status != StatementStatus.PENDING],
            "suggestions": selectors.promotable_suggestions(opinion_map=opinion_map),
            "seed_form": SeedForm(),
            "open_for_public": services.is_open_for_public(opinion_map),
            "statuses": MapStatus,
        },
    )


@login_required
@require_POST
def map_act(request: HttpRequest, map_id: int) -> HttpResponse:
    """One endpoint for the moderators' decisions on a map; each goes to its service."""
    opinion_map = selectors.moderated_get(actor=request.user, map_id=map_id)
    action, data, actor = request.POST.get("action", ""), request.POST, request.user
    try:
        if action in {"accept", "reject", "meta"}:
            statement = Statement.objects.filter(
                pk=data.get("statement") or 0, opinion_map=opinion_map
            ).first()
            if statement is None:
                raise ValidationError({"statement": _("Choose a statement of this map.")})
            services.statement_moderate(actor=actor, statement=statement, decision=action)
        elif action in {MapStatus.OPEN, MapStatus.CLOSED, MapStatus.DRAFT}:
            services.opinion_map_update(actor=actor, opinion_map=opinion_map, status=action)
        elif action in {"submissions_on", "submissions_off"}:
            services.opinion_map_update(
                actor=actor, opinion_map=opinion_map, participants_may_submit=action == "submissions_on"
            )
        elif action == "seed":
            form = SeedForm(data)
            if not form.is_valid():
                raise ValidationError(form.errors)
            services.statements_seed(
                actor=actor, opinion_map=opinion_map, texts=form.cleaned_data["statements"]
            )
        elif action == "promote":
            suggestion = Suggestion.objects.filter(pk=data.get("suggestion") or 0).first()
            if suggestion is None:
                raise ValidationError({"suggestion": _("Choose a suggestion.")})
            services.statement_promote(
                actor=actor, opinion_map=opinion_map, suggestion=suggestion, text=data.get("text", "")
            )
        elif action == "recompute":
            services.opinion_map_recompute(actor=actor, opinion_map=opinion_map)
        else:
            raise ValidationError(_("Unknown decision."))
    except ValidationError as error:
        messages.error(request, _explain(error))
    else:
        messages.success(request, _("Done."))
    anchor = "#pending" if action in {"accept", "reject", "meta"} else ""
    return redirect(f"{opinion_map.get_manage_url()}{anchor}")


@login_required
def map_export(request: HttpRequest, map_id: int) -> HttpResponse:
    """The map's data as a zip of the Pol.is export files."""
    opinion_map = selectors.moderated_get(actor=request.user, map_id=map_id)
    content = exchange.export_zip(opinion_map, url=request.build_absolute_uri(opinion_map.get_absolute_url()))
    response = HttpResponse(content, content_type="application/zip")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = attachment(
        f"{opinion_map.question[:40]}-{day}.zip", f"opinion-map-{opinion_map.pk}-{day}.zip"
    )
    return response


@login_required
def map_import(request: HttpRequest) -> HttpResponse:
    """Import a Pol.is export (a zip, or its CSV files) as a new map: all of it, or nothing and why."""
    _require_moderator(request)
    campaigns = _campaigns(request)
    form = ImportForm(request.POST or None, request.FILES or None, campaigns=campaigns)
    errors: list[exchange.FileError] = []
    if request.method == "POST" and form.is_valid():
        campaign = next(c for c in campaigns if str(c.pk) == form.cleaned_data["campaign"])
        uploads = []
        for upload in form.cleaned_data["upload"]:
            content = upload.read(exchange.MAX_UPLOAD_BYTES + 1)
            if len(content) > exchange.MAX_UPLOAD_BYTES:
                errors.append(
                    exchange.FileError(upload.name or "", 0, "", _("The file is larger than 50 MB."))
                )
            uploads.append((upload.name or "", content))
        try:
            if errors:
                raise exchange.PolisImportError(errors)
            opinion_map = exchange.opinion_map_import(
                actor=request.user,
                campaign=campaign,
                files=exchange.files_from_uploads(uploads),
                question=form.cleaned_data["question"],
            )
        except exchange.PolisImportError as refused:
            errors = refused.errors
        except ValidationError as error:
            errors = [exchange.FileError("", 0, "", _explain(error))]
        else:
            messages.success(
                request,
                _(
                    "Imported %(statements)s statements and %(participants)s participants; "
                    "the map is being computed."
                )
                % {"statements": opinion_map.n_statements, "participants": opinion_map.n_participants},
            )
            return redirect("opinion-manage", opinion_map.pk)
    return render(
        request, "opinions/map_import.html", {"form": form, "errors": errors}, status=400 if errors else 200
    )
