"""Writes of API tokens: make one (its secret is returned once), revoke one, note its use.

Only the person themself, or a system administrator, may make or revoke a person's token; both leave an
audit entry (never the secret, nor its hash).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.apikeys.models import ApiToken
from dalun.audit.services import audit_record
from dalun.org import policy
from dalun.org.models import Person

SECRET_PREFIX = "dln_"
SECRET_MAX = 200  # longer "tokens" are not ours: refused before hashing
NAME_MAX = 100
TOUCH_EVERY = datetime.timedelta(minutes=5)  # last_used_at is written at most this often


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _may_manage(actor: Any, person: Person) -> bool:
    if policy.is_system(actor):
        return True
    return bool(
        getattr(actor, "is_authenticated", False)
        and getattr(actor, "is_active", False)
        and actor.pk == person.pk
    )


@transaction.atomic
def token_create(*, actor: Any, person: Person, name: str) -> tuple[ApiToken, str]:
    """A new token for ``person``; returns it with its secret, which is not stored and never shown again."""
    if not _may_manage(actor, person):
        raise PermissionDenied("api tokens are made by their person or a system administrator")
    if not person.is_active:
        raise ValidationError({"person": _("This account is disabled.")})
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("This field is required.")})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": _("At most %(max)s characters.") % {"max": NAME_MAX}})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        person=person, name=name, key_hash=hash_secret(secret), prefix=secret[: len(SECRET_PREFIX) + 6]
    )
    audit_record(
        actor=actor,
        action="apitoken.create",
        obj=token,
        changes={"person": [None, person.username], "name": [None, name], "prefix": [None, token.prefix]},
    )
    return token, secret


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """The token stops working at once; revoking a revoked token changes nothing."""
    current = ApiToken.objects.select_for_update().select_related("person").get(pk=token.pk)
    if not _may_manage(actor, current.person):
        raise PermissionDenied("api tokens are revoked by their person or a system administrator")
    if not current.revoked:
        current.revoked = True
        current.save(update_fields=["revoked"])
        audit_record(actor=actor, action="apitoken.revoke", obj=current, changes={"revoked": [False, True]})
    return current


def token_authenticate(*, secret: str) -> Person | None:
    """The active person a live token belongs to, or None; notes when the token was last used."""
    if not secret or len(secret) > SECRET_MAX:
        return None
    token = (
        ApiToken.objects.select_related("person")
        .filter(key_hash=hash_secret(secret), revoked=False, person__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        # Bookkeeping, not a change of anyone's data: no audit entry, one UPDATE every few minutes.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.person
