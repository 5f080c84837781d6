"""The formalism scan's tests: each keeps its near-duplicate index in its own directory."""

import pytest


@pytest.fixture(autouse=True)
def _own_index(settings, tmp_path):
    settings.DALUN_FORMALISM = {"index_dir": str(tmp_path / "formalism")}


@pytest.fixture
def planted(campaign):
    """The demo's planted cases in the test slice."""
    from dalun.demo.formalism import ensure_formalism_cases

    ensure_formalism_cases(campaign)
    return campaign


@pytest.fixture
def scan(planted):
    from dalun.formalism.services import scan_campaign
    from dalun.org.policy import SYSTEM

    return lambda: scan_campaign(actor=SYSTEM, campaign=planted)
