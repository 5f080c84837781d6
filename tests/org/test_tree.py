"""Subtree and ancestor queries on the real slice of Shanxi, on whichever database the suite runs."""

import pytest
from django.db import connection

from dalun.org.models import Unit

pytestmark = pytest.mark.django_db


def descendants_by_recursion(unit: Unit) -> set[int]:
    found = {unit.pk}
    for child in Unit.objects.filter(parent=unit):
        found |= descendants_by_recursion(child)
    return found


def test_subtree_by_path_range_equals_the_subtree_by_parent_links(unit):
    for code in ("14", "1401", "140105", "140105001"):
        top = unit(code)
        by_path = set(Unit.objects.subtree_of(top).values_list("pk", flat=True))
        assert by_path == descendants_by_recursion(top), code


def test_subtree_without_self_excludes_only_the_top(unit):
    top = unit("140105")
    with_self = set(Unit.objects.subtree_of(top).values_list("pk", flat=True))
    without = set(Unit.objects.subtree_of(top, include_self=False).values_list("pk", flat=True))
    assert with_self - without == {top.pk}


def test_siblings_subtrees_do_not_overlap(unit):
    xiaodian = set(Unit.objects.subtree_of(unit("140105")).values_list("pk", flat=True))
    yingze = set(Unit.objects.subtree_of(unit("140106")).values_list("pk", flat=True))
    assert xiaodian and yingze and not xiaodian & yingze


def test_ancestors_are_the_parent_chain_root_first(unit):
    village = Unit.objects.filter(code__startswith="140105001", depth=5).first()
    chain = [u.code for u in Unit.objects.ancestors_of(village)]
    assert chain == ["14", "1401", "140105", "140105001"]


def test_child_counts_match_the_rows(unit):
    for code in ("14", "1401", "140105"):
        top = unit(code)
        assert top.child_count == Unit.objects.filter(parent=top).count()


def test_subtree_query_uses_the_path_index(unit):
    top = unit("1401")
    sql, params = Unit.objects.subtree_of(top).query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "USING INDEX" in plan and "path" in plan, plan
        else:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            cursor.execute("SET enable_seqscan = on")
            assert "Index" in plan and "path" in plan, plan
