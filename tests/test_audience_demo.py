import pytest
from django.core.management import call_command

from weizhi.audience.demo import load_demo_audience
from weizhi.audience.models import Branch, BranchKind, BranchMembership, Member

pytestmark = pytest.mark.django_db


def test_the_demo_roster_is_a_three_level_tree_with_two_hundred_members():
    assert load_demo_audience() == 200
    assert Branch.objects.count() >= 6
    assert {b.depth for b in Branch.objects.all()} == {1, 2, 3}
    assert Branch.objects.filter(kind=BranchKind.BRANCH).count() >= 6
    assert Member.objects.count() == 200
    assert BranchMembership.objects.count() == 200
    assert Branch.objects.filter(kind=BranchKind.BRANCH, secretaries__isnull=False).exists()
    assert len(set(Member.objects.values_list("name", flat=True))) > 150


def test_loading_the_demo_twice_changes_nothing(capsys):
    call_command("load_demo_audience")
    names = list(Member.objects.order_by("employee_number").values_list("name", flat=True))
    call_command("load_demo_audience")
    assert "本次新增 0 名" in capsys.readouterr().out
    assert list(Member.objects.order_by("employee_number").values_list("name", flat=True)) == names
    assert Branch.objects.count() == 10
