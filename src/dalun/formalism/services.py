"""Writes of the formalism scan: running a scan, confirming and dismissing alerts.

A scan upserts alerts by signature. An alert found again keeps its decision unless its records changed: a
dismissed one stays dismissed while ``records_fingerprint`` is the same and opens again when it differs; a
confirmed one stays confirmed (its finding exists). Open alerts a scan no longer finds become "no longer
found". One audit entry records each scan (with its counts); confirming and dismissing are audited per alert.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.audit.services import audit_record
from dalun.campaigns.models import Campaign
from dalun.formalism.candidates import Candidate
from dalun.formalism.choices import RULE_KIND, AlertStatus
from dalun.formalism.conf import thresholds
from dalun.formalism.models import Alert, ScanRun
from dalun.formalism.state_rules import state_candidates
from dalun.formalism.text_rules import text_candidates
from dalun.org import policy

REASON_MAX = 2000


def _person(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def scan_campaign(*, actor: Any, campaign: Campaign, today: datetime.date | None = None) -> ScanRun:
    """Run every rule over ``campaign`` and upsert the alerts (the system or the office may scan)."""
    if not policy.is_system(actor):
        policy.require(actor, "alert.review", campaign.owner_unit)
    today = today or timezone.localdate()
    started = timezone.now()
    conf = thresholds()
    stats: dict[str, int] = {}
    # The rules read and hash outside the transaction; only the upsert holds it.
    found = text_candidates(campaign, conf, stats) + state_candidates(campaign, conf, today)
    return _store(actor=actor, campaign=campaign, found=found, stats=stats, started=started)


@transaction.atomic
def _store(
    *,
    actor: Any,
    campaign: Campaign,
    found: list[Candidate],
    stats: dict[str, int],
    started: datetime.datetime,
) -> ScanRun:
    now = timezone.now()
    run = ScanRun.objects.create(campaign=campaign, started_at=started)
    by_signature = {candidate.signature(campaign.pk): candidate for candidate in found}
    existing = {
        alert.signature: alert
        for alert in Alert.objects.filter(campaign=campaign).only(
            "pk", "signature", "status", "records_fingerprint", "version"
        )
    }
    counts: Counter[str] = Counter()
    created: list[Alert] = []
    changed: list[Alert] = []
    for signature, candidate in by_signature.items():
        counts[RULE_KIND[candidate.rule]] += 1
        fingerprint = candidate.records_fingerprint()
        alert = existing.get(signature)
        if alert is None:
            created.append(
                Alert(
                    campaign=campaign,
                    unit_id=candidate.unit_id,
                    escalated_to_id=candidate.escalated_to_id,
                    kind=RULE_KIND[candidate.rule],
                    rule=candidate.rule,
                    signature=signature,
                    score=candidate.score,
                    explanation=candidate.explanation,
                    records=candidate.records,
                    records_fingerprint=fingerprint,
                    raised_at=now,
                    last_seen_at=now,
                    last_scan=run,
                )
            )
            continue
        records_changed = alert.records_fingerprint != fingerprint
        if alert.status == AlertStatus.RESOLVED or (
            alert.status == AlertStatus.DISMISSED and records_changed
        ):
            counts["reopened"] += 1
            alert.status = AlertStatus.OPEN
            alert.raised_at = now
            alert.dismissal_reason = ""
            alert.decided_by = None
            alert.decided_at = None
        elif alert.status == AlertStatus.DISMISSED:
            counts["kept_dismissed"] += 1
        if alert.status != AlertStatus.DISMISSED or records_changed:
            alert.explanation = candidate.explanation
            alert.records = candidate.records
            alert.score = candidate.score
            alert.records_fingerprint = fingerprint
        alert.unit_id = candidate.unit_id
        alert.escalated_to_id = candidate.escalated_to_id
        alert.last_seen_at = now
        alert.last_scan = run
        alert.version += 1
        changed.append(alert)
    Alert.objects.bulk_create(created, batch_size=1000)
    Alert.objects.bulk_update(
        changed,
        [
            "status",
            "raised_at",
            "dismissal_reason",
            "decided_by",
            "decided_at",
            "explanation",
            "records",
            "score",
            "records_fingerprint",
            "unit",
            "escalated_to",
            "last_seen_at",
            "last_scan",
            "version",
        ],
        batch_size=500,
    )
    # Open alerts this run did not find again: their records no longer show the sign.
    resolved = (
        Alert.objects.filter(campaign=campaign, status=AlertStatus.OPEN)
        .exclude(last_scan=run)
        .update(status=AlertStatus.RESOLVED)
    )
    counts["new"] = len(created)
    counts["resolved"] = resolved
    counts.update(stats)
    run.counts = dict(sorted(counts.items()))
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "finished_at"])
    audit_record(actor=actor, action="formalism.scan", obj=run, changes={"counts": [None, run.counts]})
    return run


def scan_all(*, actor: Any, campaign_key: str | None = None) -> list[ScanRun]:
    """Scan one campaign (by key) or every campaign."""
    campaigns = Campaign.objects.select_related("owner_unit").order_by("pk")
    if campaign_key:
        campaigns = campaigns.filter(key=campaign_key)
        if not campaigns.exists():
            raise ValidationError({"campaign": _("No campaign with this key.")})
    return [scan_campaign(actor=actor, campaign=campaign) for campaign in campaigns]


def _locked(alert: Alert, actor: Any) -> Alert:
    current = Alert.objects.select_for_update().select_related("unit", "campaign").get(pk=alert.pk)
    policy.require(actor, "alert.review", current.unit)
    if current.status not in {AlertStatus.OPEN, AlertStatus.RESOLVED}:
        raise ValidationError(_("This alert has already been decided."))
    return current


@transaction.atomic
def alert_dismiss(*, actor: Any, alert: Alert, reason: str) -> Alert:
    """Dismiss with a reason; the scan does not raise it again unless its records change."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the alert is dismissed.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("The reason is too long (at most 2000 characters).")})
    current = _locked(alert, actor)
    before = current.status
    current.status = AlertStatus.DISMISSED
    current.dismissal_reason = reason
    current.decided_by = _person(actor)
    current.decided_at = timezone.now()
    current.version += 1
    current.save(update_fields=["status", "dismissal_reason", "decided_by", "decided_at", "version"])
    audit_record(
        actor=actor,
        action="alert.dismiss",
        obj=current,
        changes={"status": [before, current.status], "reason": [None, reason]},
    )
    return current


def default_finding_text(alert: Alert) -> str:
    """What the finding says when the supervisor writes nothing: the rule and the unit."""
    return _("Formalism alert confirmed: %(rule)s (%(unit)s).") % {
        "rule": alert.get_rule_display(),
        "unit": alert.unit.name,
    }


@transaction.atomic
def alert_confirm(
    *, actor: Any, alert: Alert, text: str = "", deadline: datetime.date | None = None
) -> Alert:
    """Confirm: the alert becomes a supervision finding (and so a problem in the unit's ledger)."""
    try:
        from dalun.supervision.services import finding_record
    except ImportError as error:  # the supervision app is not installed
        raise ValidationError(_("Supervision findings are not available.")) from error
    current = _locked(alert, actor)
    text = (text or "").strip() or default_finding_text(current)
    if len(text) > 4000:
        raise ValidationError({"text": _("The finding is too long (at most 4000 characters).")})
    try:
        finding = finding_record(
            actor=actor,
            unit=current.unit,
            campaign=current.campaign,
            text=text,
            deadline=deadline,
            origin="alert",
            origin_ref=f"alert:{current.pk}",
        )
    except PermissionDenied:
        raise
    before = current.status
    current.status = AlertStatus.CONFIRMED
    current.finding_id = finding.pk
    current.decided_by = _person(actor)
    current.decided_at = timezone.now()
    current.version += 1
    current.save(update_fields=["status", "finding_id", "decided_by", "decided_at", "version"])
    audit_record(
        actor=actor,
        action="alert.confirm",
        obj=current,
        changes={"status": [before, current.status], "finding": [None, finding.pk]},
    )
    return current
