"""Bugs the importer fuzzing found, each reproduced by the smallest file that showed it."""

from __future__ import annotations

import pytest

from dalun.org.importing import UnitImportError, parse_units, read_table
from dalun.org.models import Unit
from dalun.org.policy import SYSTEM
from dalun.org.services import units_import

pytestmark = pytest.mark.django_db


def test_a_csv_cell_over_the_csv_field_limit_is_refused_naming_its_row():
    # The csv module refuses a field over 131,072 characters with _csv.Error, which escaped the importer:
    # a traceback on the command line, a crashed task behind the upload page.
    content = ("code,name,parent_code,kind\nH7-OK,甲,140105,district\nH7-BIG," + "x" * 200_000).encode()
    content += b",140105,district\n"
    before = Unit.objects.count()
    with pytest.raises(UnitImportError) as refused:
        table = list(read_table(content, filename="units.csv"))
        units_import(actor=SYSTEM, parsed=parse_units(iter(table)))
    (error,) = refused.value.errors
    assert error.row == 3 and error.message.startswith("This row cannot be read as CSV: field larger than")
    assert Unit.objects.count() == before
