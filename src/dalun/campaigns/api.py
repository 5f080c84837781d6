"""REST endpoints of campaigns (public: a campaign's vocabulary is published)."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from dalun.campaigns import selectors
from dalun.campaigns.models import Campaign

router = Router(tags=["campaigns"])


class PartOut(Schema):
    key: str
    name: dict[str, str]


class CampaignKeyLinkOut(PartOut):
    starts_on: datetime.date
    ends_on: datetime.date
    applies_to: list[str]


class CampaignOut(Schema):
    key: str
    name: dict[str, str]
    starts_on: datetime.date
    ends_on: datetime.date
    deadlines: dict


class CampaignDetailOut(CampaignOut):
    categories: list[PartOut]
    key_links: list[CampaignKeyLinkOut]
    breakthroughs: list[PartOut]


@router.get("", response=list[CampaignOut])
def list_campaigns(request: HttpRequest):
    return selectors.campaign_list()


@router.get("/{key}", response=CampaignDetailOut)
def get_campaign(request: HttpRequest, key: str) -> dict:
    campaign: Campaign = selectors.campaign_get(key=key)
    return {
        "key": campaign.key,
        "name": campaign.name,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "deadlines": campaign.deadlines,
        "categories": list(campaign.categories.all()),
        "key_links": list(campaign.key_links.all()),
        "breakthroughs": list(campaign.breakthroughs.all()),
    }
