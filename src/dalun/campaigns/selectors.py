"""Reads of campaigns and of the obligations they give units."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from dalun.campaigns.models import Campaign, Deployment, KeyLinkObligation
from dalun.org.models import Unit


def campaign_list() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("owner_unit")


def campaign_get(*, key: str) -> Campaign:
    """A campaign with its whole vocabulary fetched in a fixed number of queries."""
    campaign = (
        Campaign.objects.select_related("owner_unit")
        .prefetch_related(
            "categories",
            "key_links",
            "breakthroughs",
            "requirement_classes",
            "phases",
            Prefetch("deployments", Deployment.objects.select_related("root")),
        )
        .filter(key=key)
        .first()
    )
    if campaign is None:
        raise Http404("no such campaign")
    return campaign


def campaign_by_key(*, key: str) -> Campaign:
    """Just the campaign, for pages that read its parts themselves."""
    campaign = Campaign.objects.filter(key=key).first()
    if campaign is None:
        raise Http404("no such campaign")
    return campaign


def unit_obligations(*, unit: Unit) -> list[KeyLinkObligation]:
    """The key links this unit must complete, across campaigns, in campaign then link order."""
    return list(
        KeyLinkObligation.objects.filter(unit=unit)
        .select_related("key_link", "campaign")
        .order_by("campaign__starts_on", "campaign_id", "key_link__position")
    )
