"""Hash chains: the chain heads, and each entry's chain, sequence number, previous hash and own hash.

The new columns are added empty here, filled for existing entries by 0004 and made strict by 0005.
"""

import django.utils.timezone
from django.db import migrations, models

import dalun.audit.chain


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChain",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=32, unique=True, verbose_name="chain")),
                ("last_seq", models.PositiveBigIntegerField(default=0, verbose_name="last sequence number")),
                (
                    "last_hash",
                    models.CharField(default=dalun.audit.chain.GENESIS, max_length=64, verbose_name="last hash"),
                ),
            ],
            options={
                "verbose_name": "audit chain",
                "verbose_name_plural": "audit chains",
                "ordering": ["key"],
            },
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="created_at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="time"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="chain",
            field=models.CharField(default="", max_length=32, verbose_name="chain"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.PositiveBigIntegerField(null=True, verbose_name="sequence number"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(default="", max_length=64, verbose_name="previous hash"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(default="", max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
    ]
