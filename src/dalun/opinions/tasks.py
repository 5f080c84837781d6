"""Background work of opinion maps: recompute a map after votes, debounced.

The first vote after a computation marks the map and schedules :func:`recompute_opinion_map` after commit;
later votes find the mark and schedule nothing, so a burst of votes costs one computation. Where the task
backend can defer (the database queue), the run waits a few seconds so that the burst can gather. A run
that fails leaves the map unmarked, so the next vote (or a moderator's "recompute now") schedules another.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_tasks import task

from dalun.opinions import analysis

DEBOUNCE_SECONDS = 5


@task()
def recompute_opinion_map(opinion_map_id: int) -> int | None:
    """Compute the map if it changed since it was last computed; returns the new snapshot's id."""
    snapshot = analysis.recompute(opinion_map_id=opinion_map_id)
    return snapshot.pk if snapshot is not None else None


def schedule_recompute(opinion_map_id: int) -> None:
    job = recompute_opinion_map
    if job.get_backend().supports_defer:
        job = job.using(run_after=timezone.now() + datetime.timedelta(seconds=DEBOUNCE_SECONDS))
    job.enqueue(opinion_map_id)
