import pytest

from tests.test_audience_support import follower, member, tree
from weizhi.audience import services
from weizhi.audience.models import AuditEntry, BranchMembership, Member, PoliticalStatus, RoleTag
from weizhi.audience.tags import tags_for_member

pytestmark = pytest.mark.django_db(transaction=False)


def test_moving_a_member_keeps_the_history_of_branches():
    t = tree()
    m = member(t["first"], "1001")
    services.move_member(m, t["third"])
    rows = list(BranchMembership.objects.filter(member=m))
    assert [r.branch.name for r in rows] == ["第一党支部", "第三党支部"]
    assert rows[0].ended_at is not None and rows[1].ended_at is None
    assert Member.objects.get(pk=m.pk).branch == t["third"]
    entry = AuditEntry.objects.get(action="move")
    assert entry.detail == {"from": "第一党支部", "to": "第三党支部"}


def test_binding_a_member_already_bound_elsewhere_unbinds_the_old_follower_and_audits_both():
    t = tree()
    m = member(t["first"], "1001")
    old, new = follower("o-old"), follower("o-new")
    services.bind_follower(old, m, how="proof")
    services.bind_follower(new, m, how="proof")
    old.refresh_from_db()
    assert old.member is None
    assert Member.objects.get(pk=m.pk).follower == new
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["bind", "unbind", "bind"]


def test_identity_is_proved_only_by_all_three_answers():
    t = tree()
    m = member(t["first"], "1001", name="王芳", phone="13912345678")
    assert services.verify_identity("1001", "王芳", "5678") == m
    assert services.verify_identity("1001", "王芳", "1234") is None
    assert services.verify_identity("1001", "王五", "5678") is None
    assert services.verify_identity("1002", "王芳", "5678") is None
    m.active = False
    m.save()
    assert services.verify_identity("1001", "王芳", "5678") is None


def test_tags_for_a_member_combine_status_and_role_tags():
    t = tree()
    m = member(t["first"], "1001", status=PoliticalStatus.PROBATIONARY)
    m.role_tags.add(RoleTag.objects.create(name="政工干部"))
    assert tags_for_member(m) == {"党员", "预备党员", "政工干部"}
    assert tags_for_member(None) == {"群众"}


def test_binding_records_the_desired_tags_on_the_follower_and_unbinding_resets_them(
    django_capture_on_commit_callbacks,
):
    t = tree()
    m = member(t["first"], "1001")
    m.role_tags.add(RoleTag.objects.create(name="办公系统"))
    f = follower()
    f.tags.create(name="活动报名")
    with django_capture_on_commit_callbacks(execute=True):
        services.bind_follower(f, m, how="proof")
    assert set(f.tags.values_list("name", flat=True)) == {"党员", "办公系统", "活动报名"}
    with django_capture_on_commit_callbacks(execute=True):
        services.unbind_follower(f)
    assert set(f.tags.values_list("name", flat=True)) == {"群众", "活动报名"}


def test_a_phone_number_must_be_eleven_digits_starting_with_one():
    t = tree()
    m = member(t["first"], "1001")
    with pytest.raises(services.ValidationError):
        services.update_member_phone(m, "12345")
    services.update_member_phone(m, "139 0000 1111")
    assert Member.objects.get(pk=m.pk).phone == "13900001111"
