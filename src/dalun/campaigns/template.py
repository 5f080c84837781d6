"""Campaign templates: a YAML file describing a campaign, loaded into typed, validated models.

A leading-group office writes the campaign once (problem categories, key links, breakthroughs, what is
required of each kind of unit, phases and what each phase allows) and the app creates the database rows
from the result. Pure Python on purpose (stdlib, PyYAML, pydantic): the template can be checked by a
command-line tool or in CI without Django, and the import-linter contract in pyproject.toml keeps it so.
The format is documented in docs/campaign-templates.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Final, TypeGuard

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from dalun.campaigns.template_errors import (
    Loc,
    TemplateError,
    TemplateIssue,
    did_you_mean,
    duplicate_key_issues,
    issue_at,
    pydantic_issue,
    syntax_issue,
)

__all__ = [
    "ALL",
    "CAPABILITIES",
    "FORMAT",
    "MAX_DURATION_DAYS",
    "MAX_KEY_LENGTH",
    "MAX_NESTING",
    "MAX_TEMPLATE_CHARS",
    "MAX_WORKING_DAYS",
    "Breakthrough",
    "CampaignTemplate",
    "ChecklistItem",
    "Deadlines",
    "KeyLink",
    "LocalizedText",
    "Phase",
    "ProblemCategory",
    "RequirementClass",
    "TemplateError",
    "TemplateIssue",
    "Window",
    "load_template",
    "load_template_file",
]

FORMAT: Final = "dalun.campaign/1"

#: ``applies_to`` value meaning "every unit the campaign is deployed to".
ALL: Final = "all"

#: What a phase can switch on. Code asks whether the current phase allows one of these and never compares
#: phase names, so a template can rename, split or merge phases freely.
CAPABILITIES: Final[tuple[str, ...]] = (
    "suggestion.create",  # the public may submit suggestions
    "suggestion.support",  # the public may support (second) published suggestions
    "ledger.edit",  # units may add and edit problems, measures and evidence in their ledger
    "ledger.submit",  # units may submit their ledger to the level above for acceptance
    "keylink.report",  # units may report progress and evidence on key links
    "opinion.vote",  # participants may vote on opinion-map statements
    "supervision.inspect",  # supervision groups may record inspections and findings
    "assessment.score",  # assessors may score units
)

#: Bounds on what a template may be: the reference template is about 25,000 characters and 6 levels deep;
#: PyYAML (pure Python here, for line numbers) reads about 100,000 characters a second.
MAX_TEMPLATE_CHARS: Final = 200_000
MAX_NESTING: Final = 50
#: Bounds the database and the calendar impose: keys are stored in 64 characters, a campaign's dates must
#: stay within the calendar (ten years is far more than any campaign), and a deadline within a year.
MAX_KEY_LENGTH: Final = 64
MAX_DURATION_DAYS: Final = 3660
MAX_WORKING_DAYS: Final = 250

_SLUG: Final = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_KEY: Final = re.compile(r"[a-z][a-z0-9_]*")


def _check_slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise ValueError(f"'{value}' is not a slug: use lowercase letters, digits and single hyphens")
    return value


def _check_key(value: str) -> str:
    if not _KEY.fullmatch(value):
        raise ValueError(
            f"'{value}' is not a valid key: start with a lowercase letter and use only lowercase letters, "
            "digits and underscores"
        )
    return value


def _check_capability(value: str) -> str:
    if value not in CAPABILITIES:
        raise ValueError(f"unknown capability '{value}'{did_you_mean(value, CAPABILITIES)}")
    return value


def _check_text(value: str) -> str:
    # YAML escapes ("\0", "\ud800") make characters the reader refuses raw; PostgreSQL stores neither.
    bad = next((ch for ch in value if unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t"), None)
    if bad is not None:
        raise ValueError(f"contains the control character U+{ord(bad):04X}; remove it")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_check_text)]
_KeyText = StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_KEY_LENGTH)
Key = Annotated[str, _KeyText, AfterValidator(_check_key)]
Slug = Annotated[str, _KeyText, AfterValidator(_check_slug)]
Capability = Annotated[str, AfterValidator(_check_capability)]
DayOffset = Annotated[int, Field(ge=0)]
WorkingDays = Annotated[int, Field(gt=0, le=MAX_WORKING_DAYS)]


class _Model(BaseModel):
    """Strict and closed: a typo in a key or a quoted number is an error, never silently ignored."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class LocalizedText(_Model):
    """A text in Simplified Chinese and English; both are required so no page shows a blank."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    zh_hans: Text = Field(alias="zh-hans")
    en: Text

    def get(self, language_code: str) -> str:
        """The text for a Django language code (``en``, ``en-us``, ``zh-hans``); Chinese otherwise."""
        return self.en if language_code.lower().replace("_", "-").split("-")[0] == "en" else self.zh_hans


class Window(_Model):
    """Days of the campaign, both ends included, counted from 0 = the start date chosen at creation."""

    start_day: DayOffset
    end_day: DayOffset

    @field_validator("end_day")
    @classmethod
    def _ends_after_start(cls, end_day: int, info: ValidationInfo) -> int:
        start_day = info.data.get("start_day")
        if start_day is not None and end_day < start_day:
            raise ValueError(f"window ends on day {end_day}, before it starts on day {start_day}")
        return end_day

    def contains(self, day: int) -> bool:
        return self.start_day <= day <= self.end_day


class Deadlines(_Model):
    """Deadlines in working days (official holiday calendar), applied when the campaign is created."""

    suggestion_response_working_days: WorkingDays
    suggestion_escalation_working_days: WorkingDays
    problem_rectification_default_working_days: WorkingDays
    #: Working days a unit has to rectify a supervision finding (optional; 20 when not given).
    finding_rectification_working_days: WorkingDays = 20


class RequirementClass(_Model):
    """What is required of a group of unit kinds ("different requirements at different levels")."""

    key: Key
    name: LocalizedText
    unit_kinds: Annotated[list[str], Field(min_length=1)]
    requirements: Annotated[list[LocalizedText], Field(min_length=1)]


class ProblemCategory(_Model):
    key: Key
    name: LocalizedText
    symptom: LocalizedText
    description: LocalizedText
    examples: list[LocalizedText] = []


class KeyLink(_Model):
    """A step every unit it applies to must carry out, and report on, within its window."""

    key: Key
    name: LocalizedText
    description: LocalizedText
    window: Window
    applies_to: Annotated[list[str], Field(min_length=1)]
    evidence_required: bool = False

    def applies_to_class(self, requirement_class_key: str | None) -> bool:
        return ALL in self.applies_to or requirement_class_key in self.applies_to


class Breakthrough(_Model):
    key: Key
    name: LocalizedText
    description: LocalizedText


class ChecklistItem(_Model):
    """One point a supervision group checks on an inspection ("is the ledger specific, not slogans?")."""

    key: Key
    text: LocalizedText


class Phase(_Model):
    key: Key
    name: LocalizedText
    window: Window
    allows: list[Capability] = []


class CampaignTemplate(_Model):
    format: str
    key: Slug
    name: LocalizedText
    description: LocalizedText
    duration_days: Annotated[int, Field(gt=0, le=MAX_DURATION_DAYS)]
    deadlines: Deadlines
    requirement_classes: Annotated[list[RequirementClass], Field(min_length=1)]
    problem_categories: Annotated[list[ProblemCategory], Field(min_length=1)]
    key_links: Annotated[list[KeyLink], Field(min_length=1)]
    breakthroughs: list[Breakthrough] = []
    phases: Annotated[list[Phase], Field(min_length=1)]
    inspection_checklist: list[ChecklistItem] = []

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value != FORMAT:
            raise ValueError(f"unsupported format '{value}'; expected '{FORMAT}'")
        return value

    def phase_on(self, day: int) -> Phase | None:
        """The phase running on a campaign day, or None between phases and outside the campaign."""
        return next((phase for phase in self.phases if phase.window.contains(day)), None)

    def allows(self, capability: str, *, day: int) -> bool:
        """Whether the phase running on ``day`` allows ``capability``; a misspelt capability is a bug."""
        if capability not in CAPABILITIES:
            raise ValueError(f"unknown capability '{capability}'")
        phase = self.phase_on(day)
        return phase is not None and capability in phase.allows

    def requirement_class_for(self, unit_kind: str) -> RequirementClass | None:
        return next((rc for rc in self.requirement_classes if unit_kind in rc.unit_kinds), None)

    def key_links_for(self, unit_kind: str) -> list[KeyLink]:
        """Key links a unit of this kind must carry out, in template order."""
        requirement_class = self.requirement_class_for(unit_kind)
        class_key = requirement_class.key if requirement_class else None
        return [link for link in self.key_links if link.applies_to_class(class_key)]


# Checks across items and lists run on the raw YAML data rather than inside the models, so they report
# even when some other part of the file is malformed: the author sees every problem in one run.

_KEYED_LISTS: Final = (
    "requirement_classes",
    "problem_categories",
    "key_links",
    "breakthroughs",
    "phases",
    "inspection_checklist",
)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _items(data: object, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The mappings of a top-level list, skipping anything malformed (pydantic reports that)."""
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, list):
        yield from ((index, item) for index, item in enumerate(value) if isinstance(item, dict))


def _strings(item: dict[str, Any], name: str) -> Iterator[tuple[int, str]]:
    value = item.get(name)
    if isinstance(value, list):
        yield from ((index, entry) for index, entry in enumerate(value) if isinstance(entry, str))


def _window(item: dict[str, Any]) -> tuple[int, int] | None:
    window = item.get("window")
    if not isinstance(window, dict):
        return None
    start, end = window.get("start_day"), window.get("end_day")
    return (start, end) if _is_int(start) and _is_int(end) else None


def _duplicate_keys(data: object) -> Iterator[tuple[Loc, str]]:
    for name in _KEYED_LISTS:
        first: dict[str, int] = {}
        for index, item in _items(data, name):
            key = item.get("key")
            if not isinstance(key, str):
                continue
            if key in first:
                yield (name, index, "key"), f"duplicate key '{key}'; already used by {name}[{first[key]}]"
            else:
                first[key] = index


def _unit_kind_problems(data: object, known_unit_kinds: Collection[str]) -> Iterator[tuple[Loc, str]]:
    # Keep the caller's order (UnitKind.values runs down the hierarchy); sort only unordered collections.
    known = list(known_unit_kinds) if isinstance(known_unit_kinds, Sequence) else sorted(known_unit_kinds)
    owner: dict[str, tuple[str, int]] = {}
    for index, item in _items(data, "requirement_classes"):
        class_key = item.get("key")
        for kind_index, kind in _strings(item, "unit_kinds"):
            loc: Loc = ("requirement_classes", index, "unit_kinds", kind_index)
            if kind not in known_unit_kinds:
                yield loc, f"unknown unit kind '{kind}'{did_you_mean(kind, known)}"
            elif kind in owner:
                other_key, other_index = owner[kind]
                message = f"unit kind '{kind}' already belongs to requirement class '{other_key}' "
                yield loc, message + f"(requirement_classes[{other_index}]); a kind may be in only one class"
            else:
                owner[kind] = (str(class_key), index)


def _applies_to_problems(data: object) -> Iterator[tuple[Loc, str]]:
    class_keys = [
        item["key"] for _, item in _items(data, "requirement_classes") if isinstance(item.get("key"), str)
    ]
    for index, item in _items(data, "key_links"):
        entries = list(_strings(item, "applies_to"))
        for entry_index, entry in entries:
            loc: Loc = ("key_links", index, "applies_to", entry_index)
            if entry == ALL and len(entries) > 1:
                yield loc, f"'{ALL}' already covers every class; give either '{ALL}' or class keys"
            elif entry != ALL and entry not in class_keys:
                yield loc, f"unknown requirement class '{entry}'{did_you_mean(entry, [ALL, *class_keys])}"


def _window_problems(data: object) -> Iterator[tuple[Loc, str]]:
    duration = data.get("duration_days") if isinstance(data, dict) else None
    if _is_int(duration) and duration > 0:
        for name in ("key_links", "phases"):
            for index, item in _items(data, name):
                window = item.get("window")
                for end in ("start_day", "end_day"):
                    day = window.get(end) if isinstance(window, dict) else None
                    if _is_int(day) and day >= duration:
                        message = f"day {day} is after the campaign: duration_days is {duration}, "
                        yield (name, index, "window", end), message + f"so days run from 0 to {duration - 1}"
    phases = sorted(
        (span, index, item.get("key"))
        for index, item in _items(data, "phases")
        if (span := _window(item)) and span[0] <= span[1]
    )
    for (before, before_index, before_key), (span, index, key) in zip(phases, phases[1:], strict=False):
        if span[0] <= before[1]:
            message = f"phase '{key}' (days {span[0]}-{span[1]}) overlaps phase '{before_key}' "
            message += f"(phases[{before_index}], days {before[0]}-{before[1]}); phases must not overlap"
            yield ("phases", index, "window", "start_day"), message


def _document_problems(data: object, known_unit_kinds: Collection[str]) -> Iterator[tuple[Loc, str]]:
    yield from _duplicate_keys(data)
    yield from _unit_kind_problems(data, known_unit_kinds)
    yield from _applies_to_problems(data)
    yield from _window_problems(data)


class _Loader(yaml.SafeLoader):
    """SafeLoader reporting an unreadable value (``2019-02-30``, ``!!int x``) as a YAML error on its line,
    and refusing nesting deeper than MAX_NESTING (PyYAML composes recursively: ``[[[[...`` thousands deep
    would otherwise end in a RecursionError)."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_NESTING} levels deep; a template needs far fewer",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value: {error}", node.start_mark
            ) from error


def _parse(text: str, source: str) -> tuple[yaml.Node, object]:
    """Compose the node tree (for line numbers) and construct the data from it in a single pass."""
    if len(text) > MAX_TEMPLATE_CHARS:
        message = f"the template is longer than {MAX_TEMPLATE_CHARS:,} characters; "
        message += "a campaign template needs far fewer"
        issue = TemplateIssue(text.count("\n", 0, MAX_TEMPLATE_CHARS) + 1, "", message)
        raise TemplateError([issue], source=source)
    try:
        loader = _Loader(text)  # the reader rejects control characters here
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        raise TemplateError([syntax_issue(error, text)], source=source) from error
    if root is None:
        raise TemplateError([TemplateIssue(1, "", "the template is empty")], source=source)
    return root, data


def load_template(
    text: str, *, source: str = "<template>", known_unit_kinds: Collection[str]
) -> CampaignTemplate:
    """Parse and validate a template; raise TemplateError listing every problem found.

    ``known_unit_kinds`` comes from the caller (the org app's unit kinds) so that this module stays pure.
    """
    root, data = _parse(text, source)
    issues = duplicate_key_issues(root)
    issues += [issue_at(root, loc, message) for loc, message in _document_problems(data, known_unit_kinds)]
    try:
        template = CampaignTemplate.model_validate(data)
    except ValidationError as error:
        issues += [pydantic_issue(root, detail) for detail in error.errors()]
    else:
        if not issues:
            return template
    raise TemplateError(issues, source=source)


def load_template_file(path: Path, *, known_unit_kinds: Collection[str]) -> CampaignTemplate:
    """Read a UTF-8 template file; OSError (missing file, no permission) propagates unchanged."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        issue = TemplateIssue(
            line, "", f"not valid UTF-8 text (byte 0x{raw[error.start]:02x}); save the file as UTF-8"
        )
        raise TemplateError([issue], source=str(path)) from error
    return load_template(text, source=str(path), known_unit_kinds=known_unit_kinds)
