"""Background work of the organisation app."""

from django.core.cache import cache
from django_tasks import task

from dalun.org.imports import run_import_job


@task()
def import_units(job_id: int) -> None:
    """Import an uploaded unit file, publishing progress in the cache for the page that polls it."""
    run_import_job(job_id=job_id, cache=cache)
