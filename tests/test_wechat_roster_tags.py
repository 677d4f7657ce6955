"""The roster's tags reach WeChat: after a binding, and after the daily follower sync."""

import pytest

from tests import test_audience_support as audience
from weizhi.audience.models import Follower, PoliticalStatus
from weizhi.audience.services import bind_follower
from weizhi.wechat.followers.roster_tags import sync_followers_task

pytestmark = pytest.mark.django_db


def wechat_tags(fake, openid: str) -> set[str]:
    return {fake.state.tags[i] for i in fake.state.users[openid].tag_ids}


def test_binding_a_member_tags_the_follower_in_wechat(
    account_on_fake, django_capture_on_commit_callbacks
):
    fake = account_on_fake
    fake.state.add_user("o-member")
    with django_capture_on_commit_callbacks(execute=True):
        member = audience.member(audience.tree()["first"], "D30001")
        follower = audience.follower("o-member")
    with django_capture_on_commit_callbacks(execute=True):
        bind_follower(follower, member, how="proof")
    assert wechat_tags(fake, "o-member") == {"党员"}


def test_the_daily_sync_makes_wechat_follow_the_roster(
    account_on_fake, django_capture_on_commit_callbacks
):
    fake = account_on_fake
    tree = audience.tree()
    with django_capture_on_commit_callbacks(execute=True):
        member = audience.member(tree["first"], "D30002", status=PoliticalStatus.PROBATIONARY)
    fake.state.add_user("o-probation")
    fake.state.add_user("o-public")
    stale = fake.state.next_id()
    fake.state.tags[stale] = "党员"  # WeChat says the public follower is a 党员: wrong
    fake.state.users["o-public"].tag_ids.append(stale)
    sync_followers_task.call()  # mirrors WeChat, then re-applies the roster
    follower = Follower.objects.get(openid="o-probation")  # brought in by the sync
    with django_capture_on_commit_callbacks(execute=True):
        bind_follower(follower, member, how="proof")
    sync_followers_task.call()
    assert wechat_tags(fake, "o-probation") == {"党员", "预备党员"}
    assert wechat_tags(fake, "o-public") == {"群众"}


def test_the_simulated_account_pushes_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        member = audience.member(audience.tree()["first"], "D30003")
        bind_follower(audience.follower("o-sim"), member, how="proof")
    pushes = [c for c in callbacks if c.__code__.co_filename.endswith("roster_tags.py")]
    assert callbacks and not pushes
