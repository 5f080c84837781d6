"""Link the entries written before hash chains existed, oldest first, into chains as the writer would."""

from django.conf import settings
from django.db import migrations

from dalun.audit.chain import GENESIS, chain_for, entry_hash

BATCH = 2000


def backfill(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditChain = apps.get_model("audit", "AuditChain")
    chains = int(getattr(settings, "DALUN_AUDIT_CHAINS", 16))
    heads: dict[str, tuple[int, str]] = {
        head.key: (head.last_seq, head.last_hash) for head in AuditChain.objects.all()
    }
    after = 0
    while True:  # in id order, one batch at a time (no open cursor while the batch is written back)
        batch = list(AuditEntry.objects.filter(seq__isnull=True, id__gt=after).order_by("id")[:BATCH])
        if not batch:
            break
        for entry in batch:
            key = chain_for(entry.object_type, entry.object_id, chains)
            last_seq, last_hash = heads.get(key, (0, GENESIS))
            entry.chain, entry.seq, entry.prev_hash = key, last_seq + 1, last_hash
            entry.hash = entry_hash(
                actor_id=entry.actor_id,
                actor_label=entry.actor_label,
                action=entry.action,
                object_type=entry.object_type,
                object_id=entry.object_id,
                object_repr=entry.object_repr,
                changes=entry.changes,
                created_at=entry.created_at,
                chain=key,
                seq=entry.seq,
                prev_hash=last_hash,
            )
            heads[key] = (entry.seq, entry.hash)
        AuditEntry.objects.bulk_update(batch, ["chain", "seq", "prev_hash", "hash"])
        after = batch[-1].id
    for key, (last_seq, last_hash) in heads.items():
        AuditChain.objects.update_or_create(key=key, defaults={"last_seq": last_seq, "last_hash": last_hash})


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_hash_chain"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
