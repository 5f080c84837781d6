"""Bugs the template-loader fuzzing found, each reproduced by the smallest template that showed it."""

from __future__ import annotations

import time

import pytest

from dalun.campaigns.template import MAX_NESTING, MAX_TEMPLATE_CHARS, TemplateError, load_template
from dalun.campaigns.template_errors import line_of

KINDS = ["province", "city", "county"]


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
