"""Campaign pages: list, create from a template, the campaign's vocabulary, deployment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dalun.campaigns import selectors
from dalun.campaigns.forms import CampaignCreateForm, DeployForm
from dalun.campaigns.services import CampaignError, campaign_create, campaign_deploy
from dalun.campaigns.template import TemplateError
from dalun.org import policy
from dalun.org.models import Unit


def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "campaigns": selectors.campaign_list(),
            "can_create": policy.allows_anywhere(request.user, "campaign.manage"),
        },
    )


def campaign_detail(request: HttpRequest, key: str) -> HttpResponse:
    campaign = selectors.campaign_get(key=key)
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "can_deploy": policy.allows(request.user, "campaign.deploy", campaign.owner_unit),
            "deploy_form": DeployForm(),
        },
    )


def _unit_by_code(form, field: str) -> Unit | None:
    unit = Unit.objects.filter(code=form.cleaned_data[field]).first()
    if unit is None:
        form.add_error(field, _("No unit has this code."))
    return unit


@login_required
def campaign_create_view(request: HttpRequest) -> HttpResponse:
    if not policy.allows_anywhere(request.user, "campaign.manage"):
        raise policy.PermissionDenied("campaign.manage")
    form = CampaignCreateForm(request.POST or None, request.FILES or None)
    template_errors = None
    if request.method == "POST" and form.is_valid():
        owner = _unit_by_code(form, "owner_unit_code")
        if owner is not None:
            try:
                text, source = form.template_text()
                campaign = campaign_create(
                    actor=request.user,
                    template_text=text,
                    source=source,
                    starts_on=form.cleaned_data["starts_on"],
                    owner_unit=owner,
                    key=form.cleaned_data["key"] or None,
                )
            except TemplateError as error:
                template_errors = error.errors
                form.add_error(None, _("The template has errors; nothing was created."))
            except (CampaignError, policy.PermissionDenied) as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                form.add_error("template_file", error)
            else:
                messages.success(request, _("Campaign created."))
                return redirect(campaign.get_absolute_url())
    return render(
        request, "campaigns/campaign_create.html", {"form": form, "template_errors": template_errors}
    )


@login_required
def campaign_deploy_view(request: HttpRequest, key: str) -> HttpResponse:
    campaign = selectors.campaign_get(key=key)
    form = DeployForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        root = _unit_by_code(form, "unit_code")
        if root is not None:
            try:
                deployment = campaign_deploy(actor=request.user, campaign=campaign, root=root)
            except CampaignError as error:
                form.add_error("unit_code", str(error))
            else:
                messages.success(
                    request,
                    _("Deployed to %(unit)s: %(units)s units, %(new)s new obligations.")
                    % {
                        "unit": root.name,
                        "units": deployment.units_covered,
                        "new": deployment.obligations_created,
                    },
                )
                return redirect(campaign.get_absolute_url())
    policy.require(request.user, "campaign.deploy", campaign.owner_unit)
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "can_deploy": True,
            "deploy_form": form,
        },
    )
