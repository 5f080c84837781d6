"""``dalun import-units FILE``: import a CSV or Excel file of units, all or nothing, with a progress bar."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dalun.org.importing import UnitImportError, parse_units, read_table
from dalun.org.policy import SYSTEM
from dalun.org.services import units_import


class ProgressBar:
    def __init__(self, stream, label: str):
        self.stream, self.label = stream, label

    def __call__(self, fraction: float) -> None:
        filled = int(fraction * 40)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (40 - filled)}] {fraction:6.1%}")
        self.stream.flush()
        if fraction >= 1:
            self.stream.write("\n")


class Command(BaseCommand):
    help = "Import units from a CSV or .xlsx file: code, name, parent_code, kind[, name_en, name_pinyin]."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--encoding", default="utf-8", help="encoding of a CSV file (utf-8, gb18030)")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            table = list(read_table(path.read_bytes(), filename=path.name, encoding=options["encoding"]))
            parsed = parse_units(
                iter(table), total_hint=len(table), progress=ProgressBar(sys.stderr, "check ")
            )
            count = units_import(actor=SYSTEM, parsed=parsed, progress=ProgressBar(sys.stderr, "import"))
        except UnitImportError as refused:
            for error in refused.errors:
                self.stderr.write(f"{path}: {error}")
            raise CommandError(
                f"{path}: refused, {len(refused.errors)} error(s); nothing was imported"
            ) from None
        self.stdout.write(f"{count} units imported from {path}")
