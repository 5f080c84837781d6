"""The reference views of ``bench/intake.py``, served beside Dalun's routes by the same gunicorn workers.

``/bench/bare/`` answers a submission-shaped POST without touching the database or the cache: what Django
and the server cost alone. ``/bench/insert/`` inserts one row through the ORM (a session row: a unique
key, a text column and an indexed time, in autocommit): the naive write path of the issue's figures.
"""

import datetime
import uuid

from django.contrib.sessions.models import Session
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"received": len(request.body)}, status=201)


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    row = Session.objects.create(
        session_key=uuid.uuid4().hex,
        session_data=f"received {len(request.body)}",
        expire_date=timezone.now() + datetime.timedelta(hours=1),
    )
    return JsonResponse({"id": row.pk}, status=201)


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/insert/", insert),
    path("", include("dalun.urls")),
]
