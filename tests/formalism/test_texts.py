"""Free text reaches the scan through one registry: a new source is compared with no other change."""

import pytest

from dalun.demo import formalism as demo
from dalun.formalism import texts
from dalun.formalism.models import Alert
from dalun.org.models import Unit


@pytest.fixture
def meeting_minutes():
    """A made-up future text source: meeting minutes of Jinyuan District copying Xinghualing's problem."""

    def read(campaign):
        jinyuan = Unit.objects.get(code=demo.JINYUAN)
        yield texts.TextItem(
            "meetings.minutes:7",
            jinyuan.pk,
            demo.ORIGINAL_PROBLEM.replace("杏花岭区", "晋源区"),
            "meetings.minutes",
        )

    texts.register(texts.TextSource("meetings.minutes", "Meeting minutes", read, self_examination=False))
    yield
    del texts.SOURCES["meetings.minutes"]


def test_a_registered_source_is_compared_across_units(meeting_minutes, scan):
    scan()
    found = [
        alert
        for alert in Alert.objects.filter(rule="copied_pair")
        if "meetings.minutes:7" in {record["ref"] for record in alert.records}
    ]
    assert found, "the minutes were not compared"
    refs = {record["ref"] for alert in found for record in alert.records}
    assert any(ref.startswith("ledger.problem:") for ref in refs)


def test_builtin_sources_cover_the_ledger_texts():
    assert {"ledger.problem", "ledger.measure", "ledger.keylinkprogress", "ledger.event"} <= set(
        texts.SOURCES
    )
    assert texts.parse_ref("ledger.problem:12") == ("ledger.problem", 12, "")
    assert texts.parse_ref("campaigns.problemcategory:3#1.zh-hans") == (
        "campaigns.problemcategory",
        3,
        "1.zh-hans",
    )
