"""A ledger in and out of Excel and CSV: the three lists such campaigns keep, and import from one workbook.

The workbook has three sheets: 问题清单 (problems), 整改清单 (measures) and 责任清单 (who answers for which
measure by when). It is one fixed format whatever the reader's language: each header cell names its column
in Chinese and English ("问题编号 Problem ref"), and choice values are written in Chinese (公开, 进行中 ...).
Import finds columns by their header (Chinese, English, both, or the key) and accepts a choice by its key, its
Chinese value or its English label, so the file the export writes is the template the import reads.

Rows are referred to by stable refs: ``P<id>`` for a problem, ``M<id>`` for a measure. On import a new
problem has an empty ref, or ``N<number>`` when measures of the same file refer to it; a new measure has an
empty ref (or ``N<number>``). Import only adds: a row with an existing ref is skipped when it says what the
ledger says, and refused, cell by cell, when it differs ("updating existing rows is done on the page").
The whole file is checked before anything is written, every error named by row and column ("整改清单!D");
then the rows are written in one transaction through the ledger services, which keep the audit trail, the
rollups and the timeline.
"""

from dalun.ledger.exchange.cells import ImportResult, LedgerImportError
from dalun.ledger.exchange.checking import check_ledger_file
from dalun.ledger.exchange.columns import LISTS
from dalun.ledger.exchange.export import ledger_csv, ledger_workbook
from dalun.ledger.exchange.importing import ledger_import

__all__ = [
    "LISTS",
    "ImportResult",
    "LedgerImportError",
    "check_ledger_file",
    "ledger_csv",
    "ledger_import",
    "ledger_workbook",
]
