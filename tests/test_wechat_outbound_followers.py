"""Follower and tag sync against the fake WeChat API over HTTP."""

from weizhi.audience.models import Follower, FollowerTag
from weizhi.wechat.followers.roster_tags import sync_followers_task
from weizhi.wechat.followers.sync import (
    STANDARD_TAGS,
    sync_followers,
    sync_tags,
    tag_followers,
)

pytest_plugins = ["tests.fake_wechat_server"]


def test_the_standard_tags_are_created_once(wechat, fake_wechat):
    sync_tags(wechat)
    sync_tags(wechat)
    assert fake_wechat.count("/cgi-bin/tags/create") == len(STANDARD_TAGS)
    mirrored = dict(FollowerTag.objects.values_list("name", "wechat_id"))
    assert set(STANDARD_TAGS) <= set(mirrored)
    assert {fake_wechat.state.tags[mirrored[name]] for name in STANDARD_TAGS} == set(STANDARD_TAGS)


def test_a_tag_made_here_is_created_in_wechat(wechat, fake_wechat):
    FollowerTag.objects.create(name="青年理论学习小组")
    sync_tags(wechat, [])
    tag = FollowerTag.objects.get(name="青年理论学习小组")
    assert fake_wechat.state.tags[tag.wechat_id] == "青年理论学习小组"


def test_followers_are_mirrored_page_by_page_with_their_tags(wechat, fake_wechat):
    fake_wechat.user_page_size = 2
    fake_wechat.state.tags[100] = "党员"
    for i in range(5):
        fake_wechat.state.add_user(f"o-{i}", remark=f"同志{i}", tag_ids=[100] if i % 2 else [])
    sync_tags(wechat, [])
    result = sync_followers(wechat)
    assert result == {"total": 5, "created": 5, "unsubscribed": 0}
    assert fake_wechat.count("/cgi-bin/user/get") == 3
    member = Follower.objects.get(openid="o-1")
    assert member.remark == "同志1" and member.subscribed and member.subscribed_at
    assert list(member.tags.values_list("name", flat=True)) == ["党员"]
    assert not Follower.objects.get(openid="o-2").tags.exists()


def test_someone_no_longer_following_is_marked_but_simulated_followers_are_kept(
    wechat, fake_wechat
):
    Follower.objects.create(openid="o-left")
    Follower.objects.create(openid="o-sim", simulated=True)
    fake_wechat.state.add_user("o-stays")
    Follower.objects.create(openid="o-stays", remark="旧备注")
    result = sync_followers(wechat)
    assert result["unsubscribed"] == 1 and result["created"] == 0
    assert not Follower.objects.get(openid="o-left").subscribed
    assert Follower.objects.get(openid="o-sim").subscribed
    assert Follower.objects.get(openid="o-stays").remark == ""


def test_tagging_followers_goes_to_wechat_fifty_at_a_time(wechat, fake_wechat):
    openids = [f"o-{i:03d}" for i in range(60)]
    for openid in openids:
        fake_wechat.state.add_user(openid)
        Follower.objects.create(openid=openid)
    tag = FollowerTag.objects.create(name="政工干部")
    tag_followers(tag, openids, wechat)
    tag.refresh_from_db()
    assert fake_wechat.count("/cgi-bin/tags/members/batchtagging") == 2
    assert all(tag.wechat_id in fake_wechat.state.users[o].tag_ids for o in openids)
    assert tag.followers.count() == 60


def test_the_sync_task_reports_in_chinese(db, account_on_fake):
    account_on_fake.state.add_user("o-a")
    result = sync_followers_task.enqueue()
    assert "同步粉丝 1 人" in result.return_value
    account_on_fake.fail_next("/cgi-bin/tags/get", 48001)
    result = sync_followers_task.enqueue()
    assert "没有该接口的权限" in result.return_value
