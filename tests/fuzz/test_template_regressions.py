"""Bugs the template-loader fuzzing found, each reproduced by the smallest template that showed it."""

from __future__ import annotations

import time

import pytest

from dalun.campaigns.template import MAX_NESTING, MAX_TEMPLATE_CHARS, TemplateError, load_template
from dalun.campaigns.template_errors import line_of
from dalun.org.choices import UnitKind

KINDS = list(UnitKind.values)


def refused(text: str) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        load_template(text, source="t.yaml", known_unit_kinds=KINDS)
    return caught.value


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 5000 + "]" * 5000,
        "a: " + "{a: " * 5000 + "1" + "}" * 5000,
        "".join("  " * depth + "k:\n" for depth in range(400)),
    ],
    ids=["flow-lists", "flow-mappings", "block-mappings"],
)
def test_deep_nesting_is_a_template_error_not_a_recursion_error(text: str) -> None:
    # PyYAML composes nodes recursively: thousands of levels ended in RecursionError, a 500 on upload.
    error = refused(text)
    assert [issue.message for issue in error.errors] == [
        f"invalid YAML: nested more than {MAX_NESTING} levels deep; a template needs far fewer"
    ]
    assert error.errors[0].line is not None


def test_nesting_too_deep_is_reported_on_the_line_where_it_goes_too_deep() -> None:
    text = "key: x\nnested:\n" + "".join("  " * depth + "-\n" for depth in range(1, 200))
    (issue,) = refused(text).errors
    assert "nested more than" in issue.message and issue.line == MAX_NESTING + 2


def test_a_template_over_the_size_limit_is_refused_before_parsing() -> None:
    # Pure-Python YAML reads about 100,000 characters a second: megabytes kept a worker busy for minutes.
    text = "# padding\n" * (MAX_TEMPLATE_CHARS // 10 + 1)
    started = time.perf_counter()
    (issue,) = refused(text).errors
    assert time.perf_counter() - started < 1
    assert issue.message == (
        f"the template is longer than {MAX_TEMPLATE_CHARS:,} characters; a campaign template needs far fewer"
    )
    assert issue.line == MAX_TEMPLATE_CHARS // 10 + 1


def test_locating_thousands_of_issues_in_one_mapping_is_linear() -> None:
    # Every unknown key is an issue located by its key path; scanning the mapping for each was quadratic
    # (15,000 unknown keys: about a minute).
    import yaml

    root = yaml.compose("".join(f"k{i}: {i}\n" for i in range(20_000)))
    started = time.perf_counter()
    lines = [line_of(root, (f"k{i}",)) for i in range(20_000)]
    assert time.perf_counter() - started < 2
    assert lines == list(range(1, 20_001))
    assert line_of(yaml.compose("a: 1\na: 2\n"), ("a",)) == 2  # the last of duplicated keys, as PyYAML keeps


def _reference_with(**changes: object) -> str:
    import yaml

    from dalun.campaigns.services import shipped_templates

    data = yaml.safe_load(shipped_templates()["big-discussion"].read_text(encoding="utf-8"))
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize(
    ("changes", "key_path", "message"),
    [
        ({"key": "a" * 65}, "key", "must be at most 64 characters long"),
        (
            {"problem_categories__0__key": "k" * 65},
            "problem_categories[0].key",
            "must be at most 64 characters long",
        ),
        ({"duration_days": 10**9}, "duration_days", "must be at most 3660"),
        (
            {"deadlines__suggestion_response_working_days": 10**7},
            "deadlines.suggestion_response_working_days",
            "must be at most 250",
        ),
    ],
)
def test_a_template_the_database_or_the_calendar_cannot_hold_is_refused(changes, key_path, message) -> None:
    # The loader accepted these; creating the campaign then failed with DataError (keys over the 64
    # characters a key column holds) or OverflowError (dates past the calendar's end): a 500 on the page.
    text = _reference_with(**changes)
    issues = [(issue.key_path, issue.message) for issue in refused(text).errors]
    assert issues == [(key_path, message)]


@pytest.mark.parametrize("escape", ["\\0", "\\x07", "\\ud800"])
def test_control_characters_and_lone_surrogates_written_as_escapes_are_refused(escape: str) -> None:
    # The reader refuses a raw NUL, but a double-quoted "\0" makes one: the template loaded, and PostgreSQL
    # refused the campaign's names ("\u0000 cannot be converted to text"), a 500 on the page.
    text = _reference_with(name={"zh-hans": "PLACEHOLDER", "en": "Big discussion"})
    text = text.replace("PLACEHOLDER", f'"大讨论{escape}"'.replace('""', '"'), 1)
    (issue,) = refused(text).errors
    assert issue.key_path == "name.zh-hans" and issue.line == 4
    assert issue.message.startswith(("contains the control character U+", "is not valid Unicode text"))
