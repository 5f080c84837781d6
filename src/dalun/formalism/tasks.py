"""Background work of the formalism scan: the scan itself and the daily digest."""

from __future__ import annotations

from django_tasks import task

from dalun.org.policy import SYSTEM


@task()
def scan(campaign_key: str | None = None) -> dict[str, dict[str, int]]:
    """Scan one campaign or all; returns each campaign's counts (``dalun db_worker`` runs it)."""
    from dalun.formalism.services import scan_all

    return {str(run.campaign_id): run.counts for run in scan_all(actor=SYSTEM, campaign_key=campaign_key)}


@task()
def digest() -> int:
    """Send today's digests; returns how many people got one."""
    from dalun.formalism.digest import digests_send

    return digests_send()
