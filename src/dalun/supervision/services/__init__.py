"""Writes of supervision: groups, members and coverage (with the supervisor roles they imply), inspections,
findings (each one a problem in the unit's ledger) and rectification notices.

Every service checks the policy, runs in one transaction and leaves an audit entry; notifications go out
as in-app notices at once and as e-mail after commit.
"""

from dalun.supervision.services._shared import DEFAULT_FINDING_WORKING_DAYS, covers, is_member, unit_heads
from dalun.supervision.services.findings import (
    default_category,
    finding_deadline,
    finding_evidence_attach,
    finding_record,
)
from dalun.supervision.services.groups import (
    coverage_add,
    coverage_remove,
    group_create,
    group_rename,
    member_add,
    member_remove,
)
from dalun.supervision.services.inspections import inspection_plan, inspection_record
from dalun.supervision.services.notices import notice_issue

__all__ = [
    "DEFAULT_FINDING_WORKING_DAYS",
    "coverage_add",
    "coverage_remove",
    "covers",
    "default_category",
    "finding_deadline",
    "finding_evidence_attach",
    "finding_record",
    "group_create",
    "group_rename",
    "inspection_plan",
    "inspection_record",
    "is_member",
    "member_add",
    "member_remove",
    "notice_issue",
    "unit_heads",
]
