"""Binding the session's WeChat follower to a roster member: by proof, or by approval."""

import pytest
from django.urls import reverse

from tests.test_audience_support import (  # noqa: F401
    PASSWORD,
    fast_passwords,
    follower,
    member,
    tree,
    user_in,
)
from weizhi.audience import identity, services
from weizhi.audience.models import AuditEntry, BindingRequest, Follower, FollowerTag

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def wang():
    return member(tree()["first"], "1001", name="王芳", phone="13912345678")


def as_follower(client, f: Follower) -> None:
    session = client.session
    session[identity.SESSION_FOLLOWER_KEY] = f.pk
    session.save()


def bind(client, number="1001", name="王芳", last4="5678"):
    return client.post(
        reverse("audience:bind"), {"employee_number": number, "name": name, "phone_last4": last4}
    )


def test_binding_needs_a_wechat_follower_in_the_session(client, wang):
    response = client.get(reverse("audience:bind"))
    assert response.status_code == 403
    assert "请从公众号打开" in response.content.decode()


def test_a_follower_binds_by_proof_and_then_sees_me_without_a_password(client, wang):
    f = follower()
    as_follower(client, f)
    assert "信息与名册不符" in bind(client, last4="0000").content.decode()
    response = bind(client)
    assert response.url == reverse("audience:me")
    f.refresh_from_db()
    assert f.member == wang
    body = client.get(reverse("audience:me")).content.decode()
    assert "王芳" in body and "已绑定微信" in body
    entry = AuditEntry.objects.get(action="bind")
    assert (entry.follower, entry.by_member, entry.detail) == (f, wang, {"how": "proof"})


def test_binding_records_the_desired_wechat_tags(client, wang, django_capture_on_commit_callbacks):
    f = follower()
    as_follower(client, f)
    with django_capture_on_commit_callbacks(execute=True):
        bind(client)
    assert set(f.tags.values_list("name", flat=True)) == {"党员"}
    assert FollowerTag.objects.filter(name="党员", wechat_id=None).exists()


def test_binding_attempts_are_rate_limited(client, wang):
    as_follower(client, follower())
    for _ in range(10):
        bind(client, last4="0000")
    response = bind(client)
    assert response.status_code == 429
    assert Follower.objects.get().member is None


def test_rebinding_from_another_wechat_unbinds_the_first_and_audits_both(client, wang):
    first, second = follower("o-1"), follower("o-2")
    as_follower(client, first)
    bind(client)
    as_follower(client, second)
    bind(client)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.member, second.member) == (None, wang)
    unbind = AuditEntry.objects.get(action="unbind")
    assert (unbind.follower, unbind.detail) == (first, {"reason": "rebind"})


def test_once_a_password_is_set_proof_cannot_take_the_binding_from_another_wechat(client, wang):
    # The four digits are a weak secret; the member's own WeChat stays bound.
    theirs, stranger = follower("o-theirs"), follower("o-stranger")
    services.bind_follower(theirs, wang, by_member=wang, how="proof")
    services.set_member_password(wang, "hongqi-2026-党建")
    as_follower(client, stranger)
    body = bind(client).content.decode()
    assert "已设置密码，请用密码登录；忘记密码请联系支部书记" in body
    theirs.refresh_from_db()
    stranger.refresh_from_db()
    assert (theirs.member, stranger.member) == (wang, None)
    assert client.get(reverse("audience:me")).status_code == 302


def test_a_member_unbinds_their_wechat_and_it_is_audited(client, wang):
    f = follower()
    as_follower(client, f)
    bind(client)
    response = client.post(reverse("audience:unbind"))
    assert response.url == reverse("audience:bind")
    f.refresh_from_db()
    assert f.member is None
    assert AuditEntry.objects.filter(action="unbind", by_member=wang, follower=f).exists()


def test_a_member_signed_in_by_password_binds_this_wechat_in_one_tap(client, wang):
    services.set_member_password(wang, "hongqi-2026-党建")
    client.post(
        reverse("audience:login"), {"employee_number": "1001", "password": "hongqi-2026-党建"}
    )
    f = follower()
    as_follower(client, f)
    assert "绑定当前微信" in client.get(reverse("audience:me")).content.decode()
    client.post(reverse("audience:bind_signed_in"))
    f.refresh_from_db()
    assert f.member == wang


def test_a_follower_asks_for_approval_and_an_administrator_approves(client, wang):
    f = follower()
    as_follower(client, f)
    unknown = client.post(
        reverse("audience:request_binding"), {"employee_number": "1001", "name": "王五"}
    )
    assert "名册中没有这个工号和姓名" in unknown.content.decode()
    response = client.post(
        reverse("audience:request_binding"),
        {"employee_number": "1001", "name": "王芳", "note": "换了手机号"},
    )
    assert "申请已提交" in response.content.decode()
    request = BindingRequest.objects.get()
    assert request.state == "pending" and Follower.objects.get().member is None

    admin = user_in("系统管理员", "sysadmin")
    client.login(username=admin.username, password=PASSWORD)
    assert "换了手机号" in client.get(reverse("audience_binding_requests")).content.decode()
    client.post(reverse("audience_binding_decide", args=[request.pk]), {"decision": "approve"})
    request.refresh_from_db()
    assert (request.state, request.decided_by) == ("approved", admin)
    assert Follower.objects.get().member == wang
    entry = AuditEntry.objects.get(action="bind")
    assert (entry.user, entry.detail) == (admin, {"how": "approval"})


def test_a_rejected_request_binds_nobody_and_a_secretary_cannot_decide(client, wang):
    request = services.request_binding(follower(), wang)
    secretary = user_in("支部书记", "sec")
    client.login(username=secretary.username, password=PASSWORD)
    client.post(reverse("audience_binding_decide", args=[request.pk]), {"decision": "approve"})
    assert BindingRequest.objects.get().state == "pending"

    client.login(username=user_in("系统管理员", "sysadmin").username, password=PASSWORD)
    client.post(reverse("audience_binding_decide", args=[request.pk]), {"decision": "reject"})
    assert BindingRequest.objects.get().state == "rejected"
    assert Follower.objects.get().member is None
    assert AuditEntry.objects.filter(action="reject").exists()
