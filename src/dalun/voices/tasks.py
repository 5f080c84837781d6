"""Background intake of new suggestions, and the sweeper that makes sure none is forgotten.

A submission commits the suggestion with ``intake_done_at`` empty and schedules :func:`suggestion_intake`.
With the database task queue the task row is written in the submission's own transaction (an outbox: both
commit or neither does); with any other backend it is enqueued after commit, and a process that dies
between the commit and the enqueue loses the task. Either way the pending mark is what counts: the
sweeper (:func:`sweep_pending_intake`, run by ``dalun sweep-intake`` from cron or ``--every``) finds
suggestions still pending after a grace period (a worker killed mid-task leaves them so too) and enqueues
their intake again. The intake itself is idempotent, so a task run twice notifies once.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, cast

from django.db import transaction
from django.utils import timezone
from django_tasks import task

if TYPE_CHECKING:
    from django_tasks_db.models import DBTaskResult

GRACE = datetime.timedelta(seconds=30)  # a pending intake younger than this is left to its own task
SWEEP_BATCH = 1000


@task()
def suggestion_intake(suggestion_id: int) -> bool:
    """Store the routing proposals of a new suggestion and notify its moderators, once."""
    from dalun.voices.services import suggestion_intake as intake

    return intake(suggestion_id=suggestion_id)


def _transactional_queue() -> bool:
    """Does enqueueing write to the database we are in, so the task commits with the suggestion?"""
    backend = suggestion_intake.get_backend()
    return type(backend).__module__.startswith("django_tasks_db")


def intake_task_row() -> DBTaskResult | None:
    """The database queue's row for one intake, unsaved, for a submission that writes it in its own
    statement (voices/submission_statement.py sets the argument, the suggestion's id, to ``args[0]``);
    None when the queue is not in the database.

    Its fields are the ones django-tasks-db's ``DatabaseBackend.enqueue`` writes (a test compares the two);
    enqueue's ``task_enqueued`` signal, which only logs, is not sent for it.
    """
    if not _transactional_queue():
        return None
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = cast(DatabaseBackend, suggestion_intake.get_backend())
    return DBTaskResult(
        id=backend._get_id(),
        args_kwargs={"args": [0], "kwargs": {}},
        priority=suggestion_intake.priority,
        task_path=suggestion_intake.module_path,
        queue_name=suggestion_intake.queue_name,
        run_after=suggestion_intake.run_after,  # type: ignore[misc]  # None: set by django-tasks-db's pre_save
        backend_name=backend.alias,
    )


def schedule_intake(suggestion_id: int) -> None:
    """Enqueue the intake of a suggestion being submitted (call inside the submission's transaction)."""
    if _transactional_queue():
        suggestion_intake.enqueue(suggestion_id)
    else:
        transaction.on_commit(lambda: suggestion_intake.enqueue(suggestion_id))


def pending_intake(
    *, older_than: datetime.timedelta = GRACE, now: datetime.datetime | None = None
) -> list[int]:
    """Ids of suggestions whose intake has not completed although they were submitted ``older_than`` ago."""
    from dalun.voices.models import Suggestion

    cutoff = (now or timezone.now()) - older_than
    return list(
        Suggestion.objects.filter(intake_done_at__isnull=True, submitted_at__lte=cutoff)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def sweep_pending_intake(
    *, older_than: datetime.timedelta = GRACE, now: datetime.datetime | None = None
) -> int:
    """Enqueue the intake of every stranded suggestion again; returns how many were enqueued.

    A suggestion whose first task is merely slow may get a second one: harmless, the intake is idempotent.
    """
    ids = pending_intake(older_than=older_than, now=now)
    for suggestion_id in ids:
        suggestion_intake.enqueue(suggestion_id)
    return len(ids)
