"""Reading and validating a unit file (CSV or Excel) before anything is written.

The whole file is checked first and every problem is reported with its row and column, so a clerk can fix
the file in one go. Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from dalun.org.choices import UnitKind

REQUIRED_COLUMNS = ("code", "name", "parent_code", "kind")
OPTIONAL_COLUMNS = ("name_en", "name_pinyin")
MAX_NAME_LENGTH = 200
MAX_CODE_LENGTH = 32
#: The optional columns' lengths, as the Unit model stores them (PostgreSQL refuses longer values).
MAX_OPTIONAL_LENGTHS = {"name_en": 300, "name_pinyin": 400}

Progress = Callable[[float], None]


@dataclass(frozen=True)
class RowError:
    row: int  # 0 for errors about the whole file
    column: str
    message: str

    def __str__(self) -> str:
        where = (
            _("row %(row)s, column %(column)s") % {"row": self.row, "column": self.column}
            if self.row
            else _("file")
        )
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class UnitRow:
    row: int
    code: str
    name: str
    parent_code: str
    kind: str
    name_en: str = ""
    name_pinyin: str = ""


@dataclass
class ParsedFile:
    rows: list[UnitRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class UnitImportError(Exception):
    """The file was refused whole; ``errors`` lists every problem found."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors[:20]))


def _kind_lookup() -> dict[str, str]:
    """Kinds are accepted by key or by their Chinese or English label, case-insensitively."""
    from django.utils import translation

    lookup: dict[str, str] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in UnitKind.choices:
                lookup[str(label).casefold()] = value
    for value in UnitKind.values:
        lookup[value.casefold()] = value
    return lookup


def read_table(content: bytes, *, filename: str, encoding: str = "utf-8") -> Iterator[list[str]]:
    """Yield the file's rows as lists of strings, header included; raises UnitImportError on a bad file."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx" or content[:4] == b"PK\x03\x04":
        yield from _read_xlsx(content)
    elif suffix in {".csv", ".txt", ""}:
        yield from _read_csv(content, encoding=encoding)
    else:
        raise UnitImportError(
            [
                RowError(
                    0,
                    "",
                    _("Unsupported file type %(suffix)s: upload a .csv or .xlsx file.") % {"suffix": suffix},
                )
            ]
        )


def _read_csv(content: bytes, *, encoding: str) -> Iterator[list[str]]:
    if content.startswith(b"\xef\xbb\xbf"):
        content, encoding = content[3:], "utf-8"
    try:
        text = content.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        line = content[: getattr(error, "start", 0)].count(b"\n") + 1
        hint = (
            _("If the file was saved by Excel on Chinese Windows, choose the GB18030 encoding.")
            if encoding.replace("-", "").lower() == "utf8"
            else ""
        )
        raise UnitImportError(
            [
                RowError(
                    line,
                    "",
                    (
                        _("The file is not valid %(encoding)s text.") % {"encoding": encoding} + " " + hint
                    ).strip(),
                )
            ]
        ) from error
    if "\x00" in text:
        raise UnitImportError(
            [RowError(0, "", _("The file contains NUL characters: is it really a CSV file?"))]
        )
    rows_read = 0
    try:
        for values in csv.reader(io.StringIO(text, newline="")):
            rows_read += 1
            yield values
    except csv.Error as error:  # e.g. a cell longer than the csv module's field limit (131,072 characters)
        message = _("This row cannot be read as CSV: %(reason)s.") % {"reason": error}
        raise UnitImportError([RowError(rows_read + 1, "", message)]) from error


def _read_xlsx(content: bytes) -> Iterator[list[str]]:
    # calamine (Rust) reads a 30,000-row sheet about ten times faster than openpyxl.
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (
        python_calamine.CalamineError,
        python_calamine.PasswordError,
        python_calamine.XmlError,
        python_calamine.ZipError,
        IndexError,
        ValueError,
    ) as error:
        raise UnitImportError(
            [RowError(0, "", _("The file is not a readable Excel (.xlsx) workbook."))]
        ) from error
    for values in rows:
        yield ["" if value is None else _cell_text(value) for value in values]


def _cell_text(value: object) -> str:
    # Excel stores codes such as 140105 as numbers; 140105.0 must come back as "140105".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_units(
    table: Iterator[list[str]], *, progress: Progress | None = None, total_hint: int = 0
) -> ParsedFile:
    """Check every row on its own: columns present, name, code and kind well-formed, codes unique."""
    parsed = ParsedFile()
    header = next(table, None)
    if header is None:
        parsed.errors.append(RowError(0, "", _("The file is empty.")))
        return parsed
    columns = [name.strip().lstrip("\ufeff").lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        parsed.errors.append(
            RowError(
                1,
                ", ".join(missing),
                _("Missing column(s); the header must name code, name, parent_code and kind."),
            )
        )
        return parsed
    index = {name: columns.index(name) for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if name in columns}
    kinds = _kind_lookup()
    first_row_of_code: dict[str, int] = {}
    for row_number, values in enumerate(table, start=2):
        if not any(value.strip() for value in values):
            continue
        cells = {name: (values[i].strip() if i < len(values) else "") for name, i in index.items()}
        row = UnitRow(
            row=row_number,
            code=cells["code"],
            name=cells["name"],
            parent_code=cells["parent_code"],
            kind=cells["kind"],
            name_en=cells.get("name_en", ""),
            name_pinyin=cells.get("name_pinyin", ""),
        )
        parsed.errors.extend(_row_errors(row, kinds, first_row_of_code))
        parsed.rows.append(row)
        if progress and total_hint and row_number % 2000 == 0:
            progress(min(row_number / total_hint, 1.0))
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(RowError(0, "", _("The file has a header but no units.")))
    return parsed


def _row_errors(row: UnitRow, kinds: dict[str, str], first_row_of_code: dict[str, int]) -> list[RowError]:
    errors = []
    if not row.name:
        errors.append(RowError(row.row, "name", _("The name is missing.")))
    elif len(row.name) > MAX_NAME_LENGTH:
        errors.append(
            RowError(
                row.row, "name", _("The name is longer than %(max)s characters.") % {"max": MAX_NAME_LENGTH}
            )
        )
    for column, maximum in MAX_OPTIONAL_LENGTHS.items():
        if len(getattr(row, column)) > maximum:
            message = _("This cell is longer than %(max)s characters.") % {"max": maximum}
            errors.append(RowError(row.row, column, message))
    if not row.code:
        errors.append(RowError(row.row, "code", _("The code is missing.")))
    elif len(row.code) > MAX_CODE_LENGTH or any(char.isspace() for char in row.code):
        errors.append(
            RowError(
                row.row,
                "code",
                _("The code must be at most %(max)s characters without spaces.") % {"max": MAX_CODE_LENGTH},
            )
        )
    elif row.code in first_row_of_code:
        errors.append(
            RowError(
                row.row,
                "code",
                _("Duplicate code %(code)s: already used on row %(first)s.")
                % {"code": row.code, "first": first_row_of_code[row.code]},
            )
        )
    else:
        first_row_of_code[row.code] = row.row
    kind = kinds.get(row.kind.casefold())
    if kind is None:
        errors.append(
            RowError(
                row.row,
                "kind",
                _("Unknown kind %(kind)s; expected one of: %(kinds)s.")
                % {"kind": repr(row.kind), "kinds": ", ".join(UnitKind.values)},
            )
        )
    else:
        row.kind = kind
    if row.parent_code and row.parent_code == row.code:
        errors.append(RowError(row.row, "parent_code", _("A unit cannot be its own parent.")))
    return errors
