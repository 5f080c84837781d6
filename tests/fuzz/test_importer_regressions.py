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


@pytest.mark.parametrize(("column", "maximum"), [("name_en", 300), ("name_pinyin", 400)])
def test_an_optional_name_longer_than_the_unit_stores_is_refused_naming_its_cell(column, maximum):
    # Only the Chinese name's length was checked: a longer English or pinyin name reached the database,
    # where PostgreSQL refused it with DataError (and SQLite stored it).
    content = f"code,name,parent_code,kind,{column}\nH7-1,甲,140105,district,{'x' * (maximum + 1)}\n".encode()
    before = Unit.objects.count()
    with pytest.raises(UnitImportError) as refused:
        units_import(actor=SYSTEM, parsed=parse_units(iter(list(read_table(content, filename="u.csv")))))
    assert [(error.row, error.column) for error in refused.value.errors] == [(2, column)]
    assert refused.value.errors[0].message == f"This cell is longer than {maximum} characters."
    assert Unit.objects.count() == before
    ok = f"code,name,parent_code,kind,{column}\nH7-1,甲,140105,district,{'x' * maximum}\n".encode()
    assert units_import(actor=SYSTEM, parsed=parse_units(iter(list(read_table(ok, filename="u.csv"))))) == 1
