"""``dalun backup DEST``: a consistent snapshot of the database and the uploaded files, with checksums."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from dalun.backup.manifest import BackupError
from dalun.backup.snapshot import take_snapshot


class Command(BaseCommand):
    help = (
        "Write a snapshot (every table read in one transaction, every uploaded file, manifest.json with "
        "SHA-256 checksums) to a new directory, or to DEST.tar / DEST.tar.gz."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path, help="a new directory, or a .tar, .tar.gz or .tgz file")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **options):
        destination: Path = options["destination"]
        progress = (lambda line: self.stderr.write(f"  {line}")) if options["verbosity"] > 1 else None
        try:
            manifest = take_snapshot(destination, using=options["database"], progress=progress)
        except BackupError as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(
            _("Snapshot written to %(path)s: %(tables)d tables, %(rows)d rows, %(files)d files (%(vendor)s).")
            % {
                "path": destination,
                "tables": len(manifest.tables),
                "rows": manifest.row_count,
                "files": len(manifest.files),
                "vendor": manifest.vendor,
            }
        )
