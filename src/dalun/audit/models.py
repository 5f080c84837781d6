"""The append-only audit trail: every write made through a service leaves one entry here."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dalun.audit.chain import GENESIS


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


class AuditChain(models.Model):
    """The head of one hash chain: its last sequence number and hash.

    Writers lock the head of their chain (``select_for_update``) inside their transaction, so each chain's
    sequence has no gaps and writers on different chains never wait for each other. Verification compares
    the head with the chain's last entry, which catches entries deleted from the end.
    """

    key = models.CharField(_("chain"), max_length=32, unique=True)
    last_seq = models.PositiveBigIntegerField(_("last sequence number"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, default=GENESIS)

    class Meta:
        verbose_name = _("audit chain")
        verbose_name_plural = _("audit chains")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} #{self.last_seq}"


class AuditEntry(models.Model):
    """Who did what to which object, when, and what changed; linked to the entry before it by its hash."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    # Kept as text too, so the entry still says who acted after the account is gone.
    actor_label = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=300)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # Set by the writer before hashing (not auto_now_add, which would change it after the hash is taken).
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    chain = models.CharField(_("chain"), max_length=32)
    seq = models.PositiveBigIntegerField(_("sequence number"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit entries are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries are never deleted")
