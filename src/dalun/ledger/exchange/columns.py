"""The workbook's fixed format: sheet names, columns and the Chinese words for choice values."""

from __future__ import annotations

from dataclasses import dataclass

from dalun.ledger.choices import MeasureStatus, ProblemSource, ProblemStatus, Visibility

PROBLEMS, MEASURES, RESPONSIBILITY = "问题清单", "整改清单", "责任清单"
LISTS = {"problems": PROBLEMS, "measures": MEASURES, "responsibility": RESPONSIBILITY}
CHUNK = 2000
MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ROWS = 20000  # per sheet

SOURCE_ZH: dict[str, str] = {
    ProblemSource.SELF: "自查",
    ProblemSource.SUPERVISION: "督导发现",
    ProblemSource.PUBLIC: "群众反映",
    ProblemSource.FIELD_VISIT: "走访调研",
}
VISIBILITY_ZH: dict[str, str] = {Visibility.PUBLIC: "公开", Visibility.INTERNAL: "内部"}
PROBLEM_STATUS_ZH: dict[str, str] = {ProblemStatus.OPEN: "整改中", ProblemStatus.RECTIFIED: "已整改"}
MEASURE_STATUS_ZH: dict[str, str] = {
    MeasureStatus.OPEN: "进行中",
    MeasureStatus.CLOSING: "待验收",
    MeasureStatus.CLOSED: "已办结",
}


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    width: int = 14

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}"


PROBLEM_COLUMNS = (
    Column("unit_code", "单位代码", "Unit code", 12),
    Column("unit_name", "单位名称", "Unit name", 20),
    Column("problem_ref", "问题编号", "Problem ref", 12),
    Column("category", "问题类别", "Category", 18),
    Column("manifestation", "具体表现", "Manifestation", 60),
    Column("source", "问题来源", "Source", 12),
    Column("visibility", "公开范围", "Visibility", 12),
    Column("status", "状态", "Status", 12),
)
MEASURE_COLUMNS = (
    Column("problem_ref", "问题编号", "Problem ref", 12),
    Column("measure_ref", "措施编号", "Measure ref", 12),
    Column("action", "整改措施", "Measure", 50),
    Column("indicator", "目标指标", "Indicator", 20),
    Column("baseline", "基准值", "Baseline", 10),
    Column("target", "目标值", "Target", 10),
    Column("target_unit", "计量单位", "Unit of measure", 12),
    Column("owner", "责任人", "Responsible person", 14),
    Column("deadline", "完成时限", "Deadline", 12),
    Column("progress", "进度(%)", "Progress (%)", 10),
    Column("status", "状态", "Status", 12),
)
RESPONSIBILITY_COLUMNS = (
    Column("unit_code", "单位代码", "Unit code", 12),
    Column("unit_name", "单位名称", "Unit name", 20),
    Column("owner", "责任人", "Responsible person", 14),
    Column("measure_ref", "措施编号", "Measure ref", 12),
    Column("action", "整改措施", "Measure", 50),
    Column("deadline", "完成时限", "Deadline", 12),
    Column("status", "状态", "Status", 12),
    Column("overdue", "是否逾期", "Overdue", 10),
)
