"""The reference views of ``bench/intake.py``, served beside Dalun's routes by the same gunicorn workers.

``/bench/bare/`` answers a submission-shaped POST without touching the database or the cache: what Django
and the server cost alone. ``/bench/insert/`` inserts one row through the ORM (a row of the API's
idempotency table: a unique key, a JSON column, in autocommit): the naive write path the intake goal is
measured against. (It used to insert an audit entry; since the audit trail is hash-chained, an entry is
three statements, no longer the one-row baseline.)
"""

import uuid

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from dalun.apikeys.models import IdempotentRequest


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"received": len(request.body)}, status=201)


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    row = IdempotentRequest.objects.create(
        key=uuid.uuid4().hex,
        route="bench.insert",
        request_hash="",
        status=201,
        response_json={"received": len(request.body)},
    )
    return JsonResponse({"id": row.pk}, status=201)


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/insert/", insert),
    path("", include("dalun.urls")),
]
