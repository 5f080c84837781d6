"""Unit imports as jobs: the upload is saved, a task imports it, the page follows its progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import BaseCache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation

from dalun.org import policy
from dalun.org.importing import UnitImportError, parse_units, read_table
from dalun.org.models import ImportJob
from dalun.org.services import units_import

PROGRESS_TTL = 3600
# Reading and checking the file is the first part of the bar, writing the second.
_CHECK_SHARE = 0.4


def import_job_create(*, actor: Any, upload: UploadedFile, encoding: str, language: str) -> ImportJob:
    """Save the upload and queue its import (after commit, so the worker finds the job)."""
    from dalun.org.tasks import import_units

    if not policy.allows_anywhere(actor, "unit.import"):
        raise policy.PermissionDenied("unit.import")
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor,
            file=upload,
            original_name=upload.name or "units",
            encoding=encoding,
            language=language,
        )
        transaction.on_commit(lambda: import_units.enqueue(job.pk))
    return job


def run_import_job(*, job_id: int, cache: BaseCache) -> ImportJob:
    """Import the job's file; the outcome (count or every error) is stored on the job."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status in {ImportJob.Status.DONE, ImportJob.Status.FAILED}:
        return job  # a re-delivered task does nothing twice
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)

    def report(fraction: float) -> None:
        cache.set(job.progress_cache_key, round(fraction, 3), PROGRESS_TTL)

    with job.file.open("rb") as handle:
        content = handle.read()
    with translation.override(job.language):
        _import(job, content, report)
    return job


def _import(job: ImportJob, content: bytes, report: Callable[[float], None]) -> None:
    try:
        table = list(read_table(content, filename=job.original_name, encoding=job.encoding))
        parsed = parse_units(
            iter(table), total_hint=len(table), progress=lambda fraction: report(fraction * _CHECK_SHARE)
        )
        count = units_import(
            actor=job.created_by,
            parsed=parsed,
            progress=lambda fraction: report(_CHECK_SHARE + fraction * (1 - _CHECK_SHARE)),
        )
    except UnitImportError as refused:
        job.status, job.errors = ImportJob.Status.FAILED, [error.as_dict() for error in refused.errors]
        job.save(update_fields=["status", "errors"])
    else:
        job.status, job.rows_imported = ImportJob.Status.DONE, count
        job.save(update_fields=["status", "rows_imported"])
        report(1.0)


def import_job_progress(*, job: ImportJob, cache: BaseCache) -> float:
    if job.status == ImportJob.Status.DONE:
        return 1.0
    return float(cache.get(job.progress_cache_key, 0.0))


def import_job_get(*, actor: Any, job_id: int) -> ImportJob:
    """A job is seen only by the person who uploaded it (and system administrators)."""
    from django.http import Http404

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or not (policy.is_system(actor) or job.created_by_id == getattr(actor, "pk", None)):
        raise Http404("no such import")
    return job
