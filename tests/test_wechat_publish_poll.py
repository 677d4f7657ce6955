"""The fallback for a PUBLISHJOBFINISH that never comes: freepublish/get, asked on a
schedule against the fake WeChat API over HTTP, and settled exactly once with the event."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from weizhi.wechat.api.client import default_client
from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.protocol import PublishedArticle, PublishJobFinishEvent
from weizhi.wechat.publishing.poll import poll_publish, poll_publishes
from weizhi.wechat.publishing.services import POLL_WAITS, on_publish_job_finished, publish_to_wechat
from weizhi.wechat.records.models import WeChatSend

pytest_plugins = ["tests.fake_wechat_server"]

Status = WeChatSend.Status


@pytest.fixture
def submitted(account_on_fake, home, django_capture_on_commit_callbacks) -> WeChatSend:
    page = factories.article(title="学习贯彻会议精神", cover=factories.image("封面"))
    with django_capture_on_commit_callbacks(execute=True):
        send = publish_to_wechat(page, "publish")
    send.refresh_from_db()
    assert send.status == Status.SUBMITTED, send.message
    return send


def job(fake, send: WeChatSend) -> dict:
    return fake.state.publishes[send.publish_id]


def overdue(send: WeChatSend) -> None:
    """As if the booked time of the next look had come."""
    WeChatSend.objects.filter(pk=send.pk).update(next_poll_at=timezone.now() - timedelta(seconds=1))


def finished_event(send: WeChatSend, status: int, url: str = "") -> PublishJobFinishEvent:
    articles = (PublishedArticle(idx=1, url=url),) if url else ()
    return PublishJobFinishEvent(
        to_user="gh_x",
        from_user="mphelper",
        create_time=1,
        msg_type="event",
        event="PUBLISHJOBFINISH",
        publish_id=send.publish_id,
        publish_status=status,
        article_id="A1" if status == 0 else None,
        articles=articles,
    )


def fresh(send: WeChatSend) -> WeChatSend:
    return WeChatSend.objects.get(pk=send.pk)


def test_a_submitted_publish_keeps_wechats_msg_data_id_and_books_its_first_look(
    account_on_fake, submitted
):
    assert submitted.msg_data_id == job(account_on_fake, submitted)["msg_data_id"] != ""
    assert submitted.polls == 0
    wait = submitted.next_poll_at - submitted.created_at
    assert POLL_WAITS[0] - timedelta(seconds=30) < wait <= POLL_WAITS[0] + timedelta(seconds=30)


def test_a_publish_is_not_asked_about_before_its_time(account_on_fake, submitted):
    assert poll_publishes.enqueue().return_value == "没有等待查询的发布。"
    assert account_on_fake.count("/cgi-bin/freepublish/get") == 0
    assert fresh(submitted).status == Status.SUBMITTED


def test_an_overdue_publish_is_settled_from_freepublish_get(account_on_fake, submitted):
    overdue(submitted)
    poll_publishes.enqueue()
    send = fresh(submitted)
    assert account_on_fake.count("/cgi-bin/freepublish/get") == 1
    assert send.status == Status.SUCCEEDED and send.message == "已发布到公众号。"
    assert send.article_url == job(account_on_fake, submitted)["article_urls"][0]
    assert send.finished_at and send.next_poll_at is None


def test_a_job_still_publishing_is_asked_again_later_then_settled_as_the_event_would(
    account_on_fake, submitted
):
    job(account_on_fake, submitted)["publish_status"] = 1
    overdue(submitted)
    before = timezone.now()
    poll_publishes.enqueue()
    send = fresh(submitted)
    assert send.status == Status.SUBMITTED and send.polls == 1
    assert before + POLL_WAITS[1] <= send.next_poll_at <= timezone.now() + POLL_WAITS[1]

    job(account_on_fake, submitted)["publish_status"] = 2  # the original-content check failed
    overdue(submitted)
    poll_publishes.enqueue()
    send = fresh(submitted)
    assert account_on_fake.count("/cgi-bin/freepublish/get") == 2
    assert send.status == Status.FAILED and send.errcode == 2
    assert send.message == "微信发布未成功：原创声明失败。"


def test_the_event_after_the_poll_changes_nothing(account_on_fake, submitted):
    overdue(submitted)
    poll_publishes.enqueue()
    settled = fresh(submitted)
    on_publish_job_finished(finished_event(submitted, 3))
    again = fresh(submitted)
    assert again.status == Status.SUCCEEDED
    fields = ("message", "errcode", "article_url", "finished_at")
    assert [getattr(again, f) for f in fields] == [getattr(settled, f) for f in fields]


def test_the_poll_after_the_event_changes_nothing(account_on_fake, submitted):
    on_publish_job_finished(finished_event(submitted, 0, "https://mp.weixin.qq.com/s/from-event"))
    job(account_on_fake, submitted)["publish_status"] = 6  # what a late look would say
    assert poll_publishes.enqueue().return_value == "没有等待查询的发布。"
    # A worker that loaded the send before the event settled it does not ask either.
    assert poll_publish(submitted, default_client()) == "skipped"
    send = fresh(submitted)
    assert account_on_fake.count("/cgi-bin/freepublish/get") == 0
    assert send.status == Status.SUCCEEDED
    assert send.article_url == "https://mp.weixin.qq.com/s/from-event"


def test_two_workers_looking_at_once_ask_wechat_once(account_on_fake, submitted):
    overdue(submitted)
    first, second = fresh(submitted), fresh(submitted)
    assert poll_publish(first, default_client()) == "settled"
    assert poll_publish(second, default_client()) == "skipped"
    assert account_on_fake.count("/cgi-bin/freepublish/get") == 1


def test_after_the_last_look_it_gives_up_with_a_chinese_message(account_on_fake, submitted):
    fake = account_on_fake
    job(fake, submitted)["publish_status"] = 1
    for _ in range(len(POLL_WAITS) - 1):
        overdue(submitted)
        poll_publishes.enqueue()
        assert fresh(submitted).status == Status.SUBMITTED
    fake.fail_next("/cgi-bin/freepublish/get", 48001)  # and the last look gets no answer
    overdue(submitted)
    poll_publishes.enqueue()
    send = fresh(submitted)
    assert fake.count("/cgi-bin/freepublish/get") == len(POLL_WAITS)
    assert send.status == Status.FAILED and send.errcode is None
    assert "约 24 小时内没有得到微信的发布结果" in send.message
    assert "发表记录" in send.message and "没有该接口的权限" in send.message
    assert send.next_poll_at is None
    overdue(submitted)
    poll_publishes.enqueue()
    assert fake.count("/cgi-bin/freepublish/get") == len(POLL_WAITS)


def test_wechats_result_after_the_give_up_still_settles_the_send_once(account_on_fake, submitted):
    WeChatSend.objects.filter(pk=submitted.pk).update(polls=len(POLL_WAITS))
    overdue(submitted)
    poll_publishes.enqueue()
    assert fresh(submitted).status == Status.FAILED and fresh(submitted).gave_up

    on_publish_job_finished(finished_event(submitted, 0, "https://mp.weixin.qq.com/s/late"))
    send = fresh(submitted)
    assert send.status == Status.SUCCEEDED and not send.gave_up
    assert send.article_url == "https://mp.weixin.qq.com/s/late"
    assert send.message == "已发布到公众号。（微信的结果在停止等待后才到达）"
    # Settled by WeChat's word now: a second report changes nothing.
    on_publish_job_finished(finished_event(submitted, 2))
    assert fresh(submitted).status == Status.SUCCEEDED


def test_a_failure_reported_by_wechat_is_final(account_on_fake, submitted):
    on_publish_job_finished(finished_event(submitted, 2))
    on_publish_job_finished(finished_event(submitted, 0, "https://mp.weixin.qq.com/s/x"))
    send = fresh(submitted)
    assert send.status == Status.FAILED and send.errcode == 2 and not send.gave_up


def test_a_look_cut_short_is_made_again_and_a_finished_schedule_gives_up(
    account_on_fake, submitted
):
    # A worker died after booking its last look: the next run gives up without asking.
    WeChatSend.objects.filter(pk=submitted.pk).update(polls=len(POLL_WAITS))
    overdue(submitted)
    poll_publishes.enqueue()
    assert account_on_fake.count("/cgi-bin/freepublish/get") == 0
    assert "没有得到微信的发布结果" in fresh(submitted).message


def test_one_failing_look_does_not_stop_the_others(
    account_on_fake, home, submitted, django_capture_on_commit_callbacks
):
    page = factories.article(title="第二篇", cover=factories.image("封面二"))
    with django_capture_on_commit_callbacks(execute=True):
        other = publish_to_wechat(page, "publish")
    overdue(submitted)
    overdue(other)
    account_on_fake.fail_next("/cgi-bin/freepublish/get", 45009)
    assert "查询 2 条发布，1 条已结束" in poll_publishes.enqueue().return_value
    statuses = sorted(fresh(s).status for s in (submitted, other))
    assert statuses == [Status.SUBMITTED, Status.SUCCEEDED]


def test_the_fake_answers_freepublish_get_in_wechats_shapes(account_on_fake, submitted):
    client = default_client()
    fake = account_on_fake
    ask = {"publish_id": submitted.publish_id}
    done = client.post("/cgi-bin/freepublish/get", ask)
    assert done["publish_id"] == submitted.publish_id and done["publish_status"] == 0
    assert done["article_id"] and done["fail_idx"] == []
    assert done["article_detail"]["count"] == 1
    assert done["article_detail"]["item"][0]["idx"] == 1
    assert done["article_detail"]["item"][0]["article_url"].startswith("https://mp.weixin.qq.com/")

    job(fake, submitted)["publish_status"] = 1
    running = client.post("/cgi-bin/freepublish/get", ask)
    assert set(running) == {"errcode", "errmsg", "publish_id", "publish_status", "fail_idx"}
    assert running["fail_idx"] == []
    job(fake, submitted)["publish_status"] = 4
    assert client.post("/cgi-bin/freepublish/get", ask)["fail_idx"] == [1]

    with pytest.raises(WeChatAPIError):
        client.post("/cgi-bin/freepublish/get", {"publish_id": "1"})


def test_the_scheduler_always_looks_for_overdue_publishes_and_pulls_comments_for_a_real_account(
    settings,
):
    from weizhi.core.schedule import default_jobs

    def names() -> set[str]:
        return {job.task.name for job in default_jobs()}

    settings.WECHAT_APP_ID = ""
    assert "poll_publishes" in names() and "pull_recent_comments" not in names()
    settings.WECHAT_APP_ID = "wxreal000000000001"
    assert {"poll_publishes", "pull_recent_comments"} <= names()
