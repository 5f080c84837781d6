"""Background intake of new suggestions, dispatched from the suggestions themselves.

A submission commits the suggestion with ``intake_done_at`` empty: intake pending is a state of the row,
which is its own outbox, so the public's write stays one statement. With the database task queue, the
dispatcher (:func:`dispatch_pending_intake`, run by ``dalun dispatch-intake --every 1``, which ``dalun
serve`` starts) takes the pending suggestions, stamps them dispatched and enqueues their intake in batches,
in one transaction. A suggestion dispatched but still pending after :data:`REDISPATCH_AFTER` (its task lost
with a killed worker) is dispatched again. With any other queue (the tests' immediate backend) the intake
is enqueued after commit. The intake itself is idempotent, so a task run twice notifies once.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task

REDISPATCH_AFTER = datetime.timedelta(minutes=5)  # a dispatched intake still pending after this was lost
DISPATCH_MAX = 2000  # suggestions per dispatch
BATCH = 50  # suggestions per intake task


@task()
def suggestion_intake(suggestion_ids: list[int]) -> int:
    """Store the routing proposals of new suggestions and notify their moderators, once; each suggestion in
    a transaction of its own. Returns how many were taken in by this run."""
    from dalun.voices.services import suggestion_intake as intake

    return sum(intake(suggestion_id=suggestion_id) for suggestion_id in suggestion_ids)


@functools.cache
def _queue_in_database() -> bool:
    backend = suggestion_intake.get_backend()
    return type(backend).__module__.startswith("django_tasks_db")


@receiver(setting_changed)
def _forget_queue(*, setting: str, **kwargs: Any) -> None:
    if setting == "TASKS":
        _queue_in_database.cache_clear()


def schedule_intake(suggestion_id: int) -> None:
    """After a submission: with the database queue the dispatcher will find it pending; with another queue
    its intake is enqueued once the submission has committed."""
    if not _queue_in_database():
        transaction.on_commit(lambda: suggestion_intake.enqueue([suggestion_id]))


def dispatch_pending_intake(
    *, redispatch_after: datetime.timedelta = REDISPATCH_AFTER, now: datetime.datetime | None = None
) -> int:
    """Enqueue the intake of suggestions pending and not dispatched (or dispatched ``redispatch_after``
    ago); returns how many. Dispatchers running side by side skip one another's rows."""
    from dalun.voices.models import Suggestion

    now = now or timezone.now()
    waiting = Q(intake_dispatched_at__isnull=True) | Q(intake_dispatched_at__lte=now - redispatch_after)
    with transaction.atomic():
        ids = list(
            Suggestion.objects.select_for_update(skip_locked=True)
            .filter(intake_done_at__isnull=True)
            .filter(waiting)
            .order_by("submitted_at")
            .values_list("pk", flat=True)[:DISPATCH_MAX]
        )
        Suggestion.objects.filter(pk__in=ids).update(intake_dispatched_at=now)
        for start in range(0, len(ids), BATCH):
            suggestion_intake.enqueue(ids[start : start + BATCH])
    return len(ids)
