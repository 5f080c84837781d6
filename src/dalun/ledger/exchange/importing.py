"""Writing a checked workbook through the ledger services, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dalun.audit.services import audit_one_chain
from dalun.campaigns.models import Campaign
from dalun.ledger import services
from dalun.ledger.exchange.cells import ImportResult, LedgerImportError
from dalun.ledger.exchange.checking import check_ledger_file
from dalun.ledger.exchange.columns import MEASURES, PROBLEMS
from dalun.ledger.models import Problem
from dalun.org import policy
from dalun.org.importing import RowError
from dalun.org.models import Unit

# ---- import: writing ----


def _through_service(row: int, sheet: str, write: Callable[[], Any]) -> Any:
    """Run a service; a refusal it finds after the check still names the row, and undoes the whole import."""
    try:
        return write()
    except ValidationError as error:
        raise LedgerImportError([RowError(row, sheet, " ".join(error.messages))]) from error


def ledger_import(
    *, actor: Any, unit: Unit, campaign: Campaign, content: bytes, filename: str
) -> ImportResult:
    """Add the new problems and measures of a workbook to the unit's ledger: all of them, or none.

    Raises PermissionDenied if the actor may not edit the ledger, LedgerImportError with every error found.
    """
    policy.require(actor, "ledger.edit", unit)
    check = check_ledger_file(unit=unit, campaign=campaign, content=content, filename=filename)
    if check.errors:
        raise LedgerImportError(check.errors)
    with transaction.atomic(), audit_one_chain():  # one chain head, whatever rows the file holds
        ledger = services.ledger_open(actor=actor, unit=unit, campaign=campaign)
        result = ImportResult(ledger=ledger, unchanged=check.unchanged)
        problems: dict[str, Problem] = {}
        for problem in check.problems.values():
            problem.ledger = ledger  # one ledger object, so that a signed ledger is reopened once
            problems[f"P{problem.pk}"] = problem
        for new in check.new_problems:
            create = partial(services.problem_create, actor=actor, ledger=ledger, **new.values)
            created = _through_service(new.row, PROBLEMS, create)
            result.problems_created += 1
            if new.ref:
                problems[new.ref] = created
        note = _("Progress as recorded in the imported file %(name)s.") % {"name": filename}
        for new in check.new_measures:
            values = dict(new.values)
            percent = values.pop("progress")
            add = partial(services.measure_create, actor=actor, problem=problems[new.ref], **values)
            measure = _through_service(new.row, MEASURES, add)
            if percent:
                post = partial(
                    services.measure_progress, actor=actor, measure=measure, percent=percent, text=note
                )
                _through_service(new.row, MEASURES, post)
            result.measures_created += 1
    return result
