"""Materialised paths: fixed-width steps whose string order is tree order."""

import pytest

from dalun.org import paths


def test_steps_round_trip_and_sort_in_position_order():
    steps = [paths.encode_step(n) for n in (1, 2, 35, 36, 37, 1295, 1296, 50_000)]
    assert [paths.decode_step(step) for step in steps] == [1, 2, 35, 36, 37, 1295, 1296, 50_000]
    assert steps == sorted(steps)
    assert all(len(step) == paths.STEP_LENGTH for step in steps)


def test_upper_bound_is_above_every_descendant_and_below_the_next_sibling():
    parent = paths.child_path(paths.child_path("", 3), 35)  # a last digit that carries
    deepest = parent + paths.encode_step(paths.MAX_CHILDREN - 2) * 3
    bound = paths.subtree_upper_bound(parent)
    assert parent < deepest < bound
    assert bound == paths.child_path(paths.child_path("", 3), 36)
    assert set(bound) <= set(paths.ALPHABET)


def test_step_positions_outside_the_range_are_refused():
    with pytest.raises(ValueError):
        paths.encode_step(0)
    with pytest.raises(ValueError):
        paths.encode_step(paths.MAX_CHILDREN - 1)


def test_ancestor_paths_are_every_proper_prefix_root_first():
    path = "0001000200030004"
    assert paths.ancestor_paths(path) == ["0001", "00010002", "000100020003"]
    assert paths.depth_of(path) == 4
