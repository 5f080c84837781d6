"""``dalun restore SOURCE``: bring a snapshot back into an empty installation, all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from dalun.backup.manifest import BackupError
from dalun.backup.restore import restore_snapshot


class Command(BaseCommand):
    help = (
        "Restore a snapshot (directory or .tar/.tar.gz) into a freshly migrated, empty installation after "
        "verifying every checksum; --verify-only checks the snapshot against this installation and writes "
        "nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "source", type=Path, help="a snapshot directory or archive made by `dalun backup`"
        )
        parser.add_argument("--verify-only", action="store_true", help="check checksums and migrations only")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **options):
        source: Path = options["source"]
        progress = (lambda line: self.stderr.write(f"  {line}")) if options["verbosity"] > 1 else None
        try:
            manifest = restore_snapshot(
                source, using=options["database"], verify_only=options["verify_only"], progress=progress
            )
        except BackupError as refused:
            raise CommandError(str(refused)) from None
        values = {
            "path": source,
            "created": manifest.created_at,
            "vendor": manifest.vendor,
            "tables": len(manifest.tables),
            "rows": manifest.row_count,
            "files": len(manifest.files),
        }
        if options["verify_only"]:
            self.stdout.write(
                _(
                    "%(path)s is intact and matches this installation's migrations and tables: taken "
                    "%(created)s on %(vendor)s, %(tables)d tables, %(rows)d rows, %(files)d files."
                )
                % values
            )
        else:
            self.stdout.write(
                _(
                    "Restored %(path)s (taken %(created)s on %(vendor)s): %(tables)d tables, %(rows)d rows, "
                    "%(files)d files."
                )
                % values
            )
