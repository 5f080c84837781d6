"""The demo campaign: the reference template, started five months ago and deployed to the province."""

from __future__ import annotations

import datetime

from django.utils import timezone

from dalun.campaigns.models import Campaign
from dalun.campaigns.services import campaign_create, campaign_deploy, shipped_templates
from dalun.org.models import Unit
from dalun.org.policy import SYSTEM

# The demo campaign started about five months ago, on a Monday, so whenever the demo is run the campaign is
# in its rectification phase, with history behind it and deadlines ahead.
DEMO_CAMPAIGN_AGE_DAYS = 150


def demo_campaign_start(today: datetime.date) -> datetime.date:
    start = today - datetime.timedelta(days=DEMO_CAMPAIGN_AGE_DAYS)
    return start - datetime.timedelta(days=start.weekday())


def ensure_campaign(*, root_code: str = "14") -> Campaign:
    """Create the reference campaign led by the province and deploy it to the whole province (idempotent)."""
    root = Unit.objects.get(code=root_code)
    path = shipped_templates()["big-discussion"]
    campaign = Campaign.objects.filter(key="big-discussion").first()
    if campaign is None:
        campaign = campaign_create(
            actor=SYSTEM,
            template_text=path.read_text(encoding="utf-8"),
            source=path.name,
            starts_on=demo_campaign_start(timezone.localdate()),
            owner_unit=root,
        )
    campaign_deploy(actor=SYSTEM, campaign=campaign, root=root)
    return campaign
