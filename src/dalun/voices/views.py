"""Staff pages of public participation: the moderators' queue, units' inboxes and a suggestion's handling."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dalun.ledger.views import _explain
from dalun.org import policy
from dalun.org.models import Person, Unit
from dalun.voices import selectors, services
from dalun.voices.forms import AnswerForm
from dalun.voices.models import Attachment, Notification, Suggestion


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    if not policy.allows_anywhere(request.user, "suggestion.moderate"):
        raise policy.PermissionDenied("suggestion.moderate")
    return render(request, "voices/queue.html", {"items": selectors.moderation_queue(actor=request.user)})


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if not policy.allows_anywhere(request.user, "suggestion.answer"):
        raise policy.PermissionDenied("suggestion.answer")
    return render(request, "voices/inbox.html", {"rows": selectors.inbox(actor=request.user)[:200]})


@login_required
def suggestion_detail(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = selectors.staff_get(actor=request.user, suggestion_id=suggestion_id)
    form = AnswerForm(campaign=suggestion.campaign)
    return render(
        request,
        "voices/suggestion_detail.html",
        {
            "suggestion": suggestion,
            "contact": services.contact_of(actor=request.user, suggestion=suggestion)
            if services.may_see_contact(request.user, suggestion)
            else "",
            "moderates": policy.allows(request.user, "suggestion.moderate", suggestion.campaign.owner_unit),
            "answers": suggestion.routed_unit is not None
            and policy.allows(request.user, "suggestion.answer", suggestion.routed_unit),
            "answer_form": form,
            "transfers": suggestion.transfers.select_related("from_unit", "to_unit", "actor"),
        },
    )


@login_required
@require_POST
def suggestion_act(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    """One endpoint for the moderators' and the unit's decisions; each goes to its service."""
    suggestion = selectors.staff_get(actor=request.user, suggestion_id=suggestion_id)
    action, data, actor = request.POST.get("action", ""), request.POST, request.user
    try:
        if action == "publish":
            services.suggestion_publish(actor=actor, suggestion=suggestion)
        elif action in {"reject", "spam"}:
            services.suggestion_reject(
                actor=actor, suggestion=suggestion, reason=data.get("reason", ""), spam=action == "spam"
            )
        elif action == "merge":
            into = Suggestion.objects.filter(pk=data.get("into") or 0).first()
            if into is None:
                raise ValidationError({"into": _("Choose the suggestion to merge into.")})
            services.suggestion_merge(actor=actor, suggestion=suggestion, into=into)
        elif action in {"route", "pass_on"}:
            # A typed code wins over the proposal list, so "type another unit" does what it says.
            code = data.get("unit_code", "").strip()
            unit = (
                Unit.objects.filter(code=code).first()
                if code
                else Unit.objects.filter(pk=data.get("unit") or 0).first()
            )
            if unit is None:
                raise ValidationError({"unit": _("No unit has this code.")})
            if action == "route":
                services.suggestion_route(actor=actor, suggestion=suggestion, unit=unit)
            else:
                services.suggestion_pass_on(
                    actor=actor, suggestion=suggestion, unit=unit, reason=data.get("reason", "")
                )
        elif action == "answer":
            form = AnswerForm(data, campaign=suggestion.campaign)
            if not form.is_valid():
                raise ValidationError(form.errors)
            category = suggestion.campaign.categories.filter(pk=form.cleaned_data["to_ledger"] or 0).first()
            services.suggestion_answer(
                actor=actor,
                suggestion=suggestion,
                text=form.cleaned_data["text"],
                adoption=form.cleaned_data["adoption"],
                reason=form.cleaned_data["reason"],
                to_ledger=category,
            )
        else:
            raise ValidationError(_("Unknown decision."))
    except ValidationError as error:
        messages.error(request, _explain(error))
    else:
        messages.success(request, str(DONE[action]))
        if action in {"publish", "route", "reject", "spam", "merge"}:
            return redirect("voices-queue")
    return redirect("voices-suggestion", suggestion_id)


DONE = {
    "publish": gettext_lazy("Published. Now route it to the unit that must answer."),
    "route": gettext_lazy("Routed; the unit has been notified."),
    "reject": gettext_lazy("Rejected; the sender sees the reason."),
    "spam": gettext_lazy("Marked as spam."),
    "merge": gettext_lazy("Merged into the existing suggestion."),
    "pass_on": gettext_lazy("Passed on to the other unit."),
    "answer": gettext_lazy("Answer sent."),
}


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """A suggestion's attachment, for the staff who handle it."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("no such attachment")
    selectors.staff_get(actor=request.user, suggestion_id=attachment.suggestion_id)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.mime,
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    person = cast(Person, request.user)  # signed in: login_required
    rows = list(Notification.objects.filter(recipient=person)[:100])
    services.notifications_mark_read(actor=person)
    return render(request, "voices/notifications.html", {"rows": rows})
