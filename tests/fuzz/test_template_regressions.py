"""Bugs the template-loader fuzzing found, each reproduced by the smallest template that showed it."""

from __future__ import annotations

import time

from dalun.campaigns.template_errors import line_of


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
