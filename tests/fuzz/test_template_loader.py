"""Property-based fuzzing of the campaign template loader with malformed YAML.

Whatever text an office uploads, the loader answers a template or a TemplateError whose every issue names
a line of the text (or none, only for problems of the file as a whole); never another exception, and never
slowly. Inputs: arbitrary text, the reference template mutated line by line, the reference data with parts
replaced by random values and dumped back to YAML, deep nesting, alias bombs and huge documents.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st
from tests.fuzz.conftest import FUZZ

from dalun.campaigns.template import (
    MAX_TEMPLATE_CHARS,
    CampaignTemplate,
    TemplateError,
    load_template,
)
from dalun.org.choices import UnitKind

REFERENCE = (
    __import__("pathlib").Path(__file__).resolve().parents[2]
    / "src/dalun/campaign_templates/big-discussion.yaml"
).read_text(encoding="utf-8")
REFERENCE_LINES = REFERENCE.splitlines(keepends=True)
REFERENCE_DATA = yaml.safe_load(REFERENCE)
KINDS = list(UnitKind.values)
#: Line breaks as YAML counts them (a lone carriage return, NEL and the Unicode separators included).
YAML_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def load(text: str) -> CampaignTemplate | TemplateError:
    """The loader's answer: a template, or the TemplateError it raised (any other exception propagates)."""
    try:
        return load_template(text, source="fuzz.yaml", known_unit_kinds=KINDS)
    except TemplateError as error:
        return error


def assert_refused_with_lines(text: str, answer: CampaignTemplate | TemplateError) -> TemplateError:
    assert isinstance(answer, TemplateError), "the malformed template was accepted"
    assert answer.errors, "a TemplateError must list at least one issue"
    last_line = len(YAML_LINE_BREAK.split(text))
    for issue in answer.errors:
        assert issue.message.strip()
        assert issue.line is not None and 1 <= issue.line <= last_line, issue
        assert issue.render("fuzz.yaml").startswith(f"fuzz.yaml:{issue.line}: ")
    return answer


def assert_answer_is_clean(text: str, answer: CampaignTemplate | TemplateError) -> None:
    if isinstance(answer, TemplateError):
        assert_refused_with_lines(text, answer)


def test_the_reference_template_loads() -> None:
    assert isinstance(load(REFERENCE), CampaignTemplate)


# --- arbitrary text --------------------------------------------------------------------------------------

YAML_ALPHABET = st.sampled_from(list(":-[]{},&*!|>'\"#%@`?\n\t ") + ["  ", "---", "<<", "\x00", "\ufeff"])


@FUZZ
@given(st.text() | st.lists(YAML_ALPHABET | st.text(max_size=5)).map("".join))
@example("a: " + "[" * 5000)
@example("a: " + "{a: " * 5000 + "1" + "}" * 5000)
@example("".join("  " * depth + "k:\n" for depth in range(3000)))
@example("- " * 3000 + "x")
def test_arbitrary_text_is_a_template_error_with_lines(text: str) -> None:
    assert_refused_with_lines(text, load(text))


# --- the reference template, mutated line by line ---------------------------------------------------------

JUNK = st.sampled_from(
    [
        "\t",
        ": ",
        "- ",
        "  ",
        "&a ",
        "*a ",
        "!!int ",
        "!!python/object:os.system ",
        "'",
        '"',
        "{",
        "[",
        "<<: *nothing",
        "? ",
        "\x07",
        "2019-02-30",
        "9" * 5000,
        "---",
        "key: value",
        "null",
        "~",
        "1e999",
    ]
)


@st.composite
def mutated_reference(draw: st.DrawFn) -> str:
    lines = list(REFERENCE_LINES)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(lines) - 1))
        mutation = draw(st.sampled_from(["delete", "duplicate", "insert", "indent", "dedent", "truncate"]))
        if mutation == "delete":
            del lines[position]
        elif mutation == "duplicate":
            lines.insert(position, lines[position])
        elif mutation == "insert":
            column = draw(st.integers(0, len(lines[position])))
            lines[position] = (
                lines[position][:column] + draw(JUNK | st.text(max_size=8)) + lines[position][column:]
            )
        elif mutation == "indent":
            lines[position] = " " * draw(st.integers(1, 3)) + lines[position]
        elif mutation == "dedent":
            lines[position] = lines[position].lstrip()
        else:
            lines = lines[:position]
        if not lines:
            break
    return "".join(lines)


@FUZZ
@given(mutated_reference())
def test_mutated_reference_loads_or_fails_on_a_line(text: str) -> None:
    assert_answer_is_clean(text, load(text))


# --- the reference data with parts replaced by random values ----------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.dates()
    | st.sampled_from(["all", "province", "ledger.edit", "", " ", "dalun.campaign/1"])
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=12) | st.sampled_from(["key", "window", "start_day", "zh-hans"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


PATHS = _paths(REFERENCE_DATA)


def _value_at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _replace(data: Any, path: tuple, value: Any, action: str) -> Any:
    if not path:
        return value
    head, *rest = path
    copy: Any = dict(data) if isinstance(data, dict) else list(data)
    if rest or action == "replace":
        copy[head] = _replace(data[head], tuple(rest), value, action) if rest else value
    elif action == "delete":
        del copy[head]
    elif isinstance(copy, dict):
        copy[f"{head}_extra"] = value
    else:
        copy.insert(head, value)
    return copy


@st.composite
def mutated_data(draw: st.DrawFn) -> Any:
    data = REFERENCE_DATA
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        try:
            data = _replace(data, path, draw(VALUES), action)
        except (KeyError, IndexError, TypeError):
            continue  # the path went away with an earlier mutation
    return data


@FUZZ
@given(mutated_data(), st.booleans())
def test_reference_data_with_random_parts_loads_or_fails_on_a_line(data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow, sort_keys=False)
    assert_answer_is_clean(text, load(text))


# --- bombs and huge documents -----------------------------------------------------------------------------


def _alias_bomb(levels: int, fan_out: int) -> str:
    lines = ["a0: &a0 [lol, lol, lol]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fan_out)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(_alias_bomb(12, 10), id="billion-laughs"),
        pytest.param(
            _alias_bomb(12, 10)
            + "".join(
                f"{name}: *a12\n"
                for name in (
                    "requirement_classes",
                    "problem_categories",
                    "key_links",
                    "phases",
                    "breakthroughs",
                )
            ),
            id="billion-laughs-in-every-list",
        ),
        pytest.param(
            _alias_bomb(12, 10).replace("[lol, lol, lol]", "[{key: x, unit_kinds: [city]}]")
            + "requirement_classes: *a12\nkey_links: [{applies_to: *a12}]\n",
            id="billion-laughs-of-mappings",
        ),
        pytest.param(
            "requirement_classes: &loop [*loop]\nkey_links: &links [{applies_to: *links}]\n", id="recursive"
        ),
        pytest.param("".join(f"k{i}: {i}\n" for i in range(15_000)), id="fifteen-thousand-unknown-keys"),
        pytest.param(
            "requirement_classes:\n"
            + "".join(f"  - {{key: k{i}, unit_kinds: [city]}}\n" for i in range(2_000)),
            id="two-thousand-list-items",
        ),
        pytest.param("a: " + "[" * 100 + "]" * 100, id="nested-100-deep"),
        pytest.param("a: " + "[" * 100_000 + "]" * 100_000, id="nested-100000-deep"),
        pytest.param("name: " + "长" * (MAX_TEMPLATE_CHARS + 1), id="one-huge-value"),
        pytest.param(REFERENCE * (MAX_TEMPLATE_CHARS // len(REFERENCE) + 1), id="huge-document"),
    ],
)
def test_bombs_and_huge_documents_fail_fast_with_lines(text: str) -> None:
    started = time.perf_counter()
    error = assert_refused_with_lines(text, load(text))
    elapsed = time.perf_counter() - started
    assert elapsed < 30, f"the loader took {elapsed:.1f} s"
    assert len(str(error)) < 5_000_000


# --- a template the loader accepts must make a campaign ---------------------------------------------------

KEY_LIKE = r"[a-z][a-z0-9_]{0,99}"
SCALAR_PATHS = [path for path in PATHS if isinstance(_value_at(REFERENCE_DATA, path), (int, str))]


@st.composite
def retyped_scalars(draw: st.DrawFn) -> Any:
    """The reference data with scalars replaced by others of the same type: huge or zero numbers, keys
    and texts of any length (mostly still a valid template, unlike random replacements)."""
    data = REFERENCE_DATA
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(SCALAR_PATHS))
        current = _value_at(data, path)
        if isinstance(current, bool):
            value: Any = draw(st.booleans())
        elif isinstance(current, int):
            value = draw(st.integers(0, 10**12) | st.integers(0, 5000))
        else:
            value = draw(
                st.from_regex(r"[a-z][a-z0-9_]{0,99}", fullmatch=True) | st.text(min_size=1, max_size=300)
            )
        data = _replace(data, path, value, "replace")
    return data


@pytest.mark.django_db
@FUZZ
@given(data=retyped_scalars())
def test_a_template_the_loader_accepts_makes_a_campaign(data: Any, unit) -> None:
    import datetime

    from django.db import transaction

    from dalun.campaigns.services import CampaignError, campaign_create
    from dalun.org.policy import SYSTEM

    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    answer = load(text)
    if isinstance(answer, TemplateError):
        assert_refused_with_lines(text, answer)
        return
    with transaction.atomic():
        try:
            campaign = campaign_create(
                actor=SYSTEM,
                template_text=text,
                source="fuzz.yaml",
                starts_on=datetime.date(2026, 1, 1),
                owner_unit=unit("14"),
            )
        except CampaignError:
            pass  # a refusal the page shows (e.g. the key is taken)
        else:
            assert campaign.key == answer.key and campaign.categories.count() == len(
                answer.problem_categories
            )
        transaction.set_rollback(True)
