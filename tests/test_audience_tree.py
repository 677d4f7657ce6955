import pytest
from django.core.exceptions import ValidationError

from tests.test_audience_support import member, tree
from weizhi.audience.models import Branch, Member

pytestmark = pytest.mark.django_db


def test_the_tree_lists_depth_first_in_the_editors_sort_order():
    tree()
    names = [b.indented_name.strip("\u3000") for b in Branch.objects.all()]
    assert names == [
        "机关党委",
        "综合党总支",
        "第一党支部",
        "第二党支部",
        "生产党总支",
        "第三党支部",
    ]
    assert [b.depth for b in Branch.objects.all()] == [1, 2, 3, 3, 2, 3]


def test_a_subtree_is_one_query_and_includes_the_branch_itself(django_assert_num_queries):
    t = tree()
    with django_assert_num_queries(1):
        names = {b.name for b in Branch.objects.subtree_of(t["general"])}
    assert names == {"综合党总支", "第一党支部", "第二党支部"}


def test_members_of_a_subtree_include_those_of_every_level_below():
    t = tree()
    member(t["first"], "A1")
    member(t["second"], "A2")
    member(t["third"], "A3")
    member(t["general"], "A4")
    numbers = set(Member.objects.in_subtree(t["general"]).values_list("employee_number", flat=True))
    assert numbers == {"A1", "A2", "A4"}


def test_moving_a_branch_carries_its_whole_subtree():
    t = tree()
    t["general"].parent = t["production"]
    t["general"].save()
    first = Branch.objects.get(pk=t["first"].pk)
    assert first.depth == 4
    assert first.full_name() == "机关党委/生产党总支/综合党总支/第一党支部"
    assert set(Branch.objects.subtree_of(Branch.objects.get(name="生产党总支"))) >= {first}


def test_re_sorting_siblings_changes_the_listed_order():
    t = tree()
    t["first"].sort_order = 5
    t["first"].save()
    names = [b.name for b in Branch.objects.subtree_of(t["general"])]
    assert names == ["综合党总支", "第二党支部", "第一党支部"]


def test_a_branch_cannot_be_put_under_its_own_descendant():
    t = tree()
    t["general"].parent = t["first"]
    with pytest.raises(ValidationError):
        t["general"].full_clean()
    with pytest.raises(ValueError):
        t["general"].save()


def test_a_branch_is_within_itself_and_its_ancestors_only():
    b = tree()
    assert b["first"].is_within(b["first"]) and b["first"].is_within(b["top"])
    assert b["first"].is_within(b["production"], b["general"])
    assert not b["first"].is_within(b["second"]) and not b["first"].is_within(b["production"])
    assert not b["top"].is_within(b["general"])
    assert not b["first"].is_within()  # no organisations named: inside none
