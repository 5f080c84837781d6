"""The reference views of ``bench/intake.py``, served beside Dalun's routes by the same gunicorn workers.

``/bench/bare/`` answers a submission-shaped POST without touching the database or the cache: what Django
and the server cost alone. ``/bench/insert/`` inserts one row through the ORM (an audit entry, in
autocommit): the naive write path the intake goal is measured against.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from dalun.audit.models import AuditEntry


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"received": len(request.body)}, status=201)


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    entry = AuditEntry.objects.create(
        actor_label="bench",
        action="bench.insert",
        object_type="bench",
        object_id=str(len(request.body)),
        object_repr="",
    )
    return JsonResponse({"id": entry.pk}, status=201)


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/insert/", insert),
    path("", include("dalun.urls")),
]
