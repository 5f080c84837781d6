import pytest
from django.utils import timezone

from dalun.campaigns.services import campaign_create, campaign_deploy, shipped_templates
from dalun.demo.campaign import demo_campaign_start
from dalun.org.policy import SYSTEM
from dalun.voices import services


@pytest.fixture
def campaign(unit):
    text = shipped_templates()["big-discussion"].read_text(encoding="utf-8")
    campaign = campaign_create(
        actor=SYSTEM,
        template_text=text,
        source="big-discussion.yaml",
        starts_on=demo_campaign_start(timezone.localdate()),
        owner_unit=unit("14"),
    )
    campaign_deploy(actor=SYSTEM, campaign=campaign, root=unit("1401"))
    return campaign


@pytest.fixture
def submit(campaign):
    def make(
        title="建议延长政务服务中心周末开放时间",
        text="上班族工作日没时间办事，建议周六上午开放综合窗口。",
        **extra,
    ):
        return services.suggestion_submit(campaign=campaign, title=title, text=text, **extra)

    return make
