"""WeChat's statistics interfaces (datacube): our client against the fake over HTTP — spans
split into windows, the documented fields parsed, WeChat's date errors refused as WeChat does
and turned into Chinese for the operator."""

from datetime import date, datetime, time, timedelta

import pytest

from weizhi.wechat.api import datacube
from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.fake.datacube import CHINA, day_of

pytest_plugins = ["tests.fake_wechat_server"]


def today() -> date:
    return datetime.now(CHINA).date()


def at(day: date, hour: int = 12) -> int:
    return int(datetime.combine(day, time(hour), tzinfo=CHINA).timestamp())


def test_a_range_is_cut_into_windows_of_the_interfaces_span():
    d = date(2026, 1, 1)
    assert datacube.windows(d, d + timedelta(days=15), 7) == [
        (d, d + timedelta(days=6)),
        (d + timedelta(days=7), d + timedelta(days=13)),
        (d + timedelta(days=14), d + timedelta(days=15)),
    ]
    assert datacube.windows(d, d, 1) == [(d, d)]
    with pytest.raises(ValueError):
        datacube.windows(d, d - timedelta(days=1), 7)


def test_user_growth_over_twenty_days_takes_three_calls_and_counts_every_follower(
    wechat, fake_wechat
):
    end = today() - timedelta(days=1)
    begin = end - timedelta(days=19)
    fake_wechat.state.add_user("o-old", subscribe_time=at(begin - timedelta(days=30)))
    fake_wechat.state.add_user(
        "o-qr", subscribe_time=at(begin), subscribe_scene="ADD_SCENE_QR_CODE"
    )
    fake_wechat.state.add_user("o-search", subscribe_time=at(begin + timedelta(days=10)))
    fake_wechat.state.add_user("o-gone", subscribe_time=at(begin + timedelta(days=2)))
    fake_wechat.state.unfollow("o-gone", at(begin + timedelta(days=12)))

    summary = datacube.user_summary(begin, end, client=wechat)
    cumulate = datacube.user_cumulate(begin, end, client=wechat)

    assert fake_wechat.count("/datacube/getusersummary") == 3
    assert fake_wechat.count("/datacube/getusercumulate") == 3
    assert sorted((r.day, r.source, r.new_user, r.cancel_user) for r in summary) == [
        (begin, 30, 1, 0),
        (begin + timedelta(days=2), 1, 1, 0),
        (begin + timedelta(days=10), 1, 1, 0),
        (begin + timedelta(days=12), 0, 0, 1),
    ]
    by_day = {r.day: r.cumulate_user for r in cumulate}
    assert len(by_day) == 20
    assert by_day[begin] == 2 and by_day[begin + timedelta(days=11)] == 4
    assert by_day[end] == 3


def test_article_reads_are_asked_one_day_at_a_time_and_parsed(wechat, fake_wechat):
    sent = today() - timedelta(days=4)
    for n in range(40):
        fake_wechat.state.add_user(f"o{n}", subscribe_time=at(sent - timedelta(days=3)))
    fake_wechat.state.record_articles(
        "2247483650", [{"title": "头条"}, {"title": "次条"}], at(sent)
    )
    end = today() - timedelta(days=1)

    articles = datacube.article_summary(sent, end, client=wechat)
    reads = datacube.user_read(sent, end, client=wechat)
    shares = datacube.user_share(sent, end, client=wechat)

    assert fake_wechat.count("/datacube/getarticlesummary") == 4
    assert fake_wechat.count("/datacube/getuserread") == 2  # 4 days in spans of 3
    first_day = [r for r in articles if r.day == sent]
    assert {r.key for r in first_day} == {"2247483650_1", "2247483650_2"}
    head = next(r for r in first_day if r.key == "2247483650_1")
    assert head.title == "头条" and 0 < head.read_user <= 40
    assert head.read_count >= head.read_user
    everything = [r for r in reads if r.key == str(datacube.ALL_SOURCES)]
    for day in {r.day for r in articles}:
        of_day = [r for r in articles if r.day == day]
        total = next(r for r in everything if r.day == day)
        assert total.read_count == sum(r.read_count for r in of_day)
        assert sum(s.share_count for s in shares if s.day == day) == sum(
            r.share_count for r in of_day
        )


def test_messages_followers_sent_are_summed_per_day_and_type(wechat, fake_wechat):
    day = today() - timedelta(days=2)
    fake_wechat.state.receive("o1", 1, at(day, 9))
    fake_wechat.state.receive("o1", 1, at(day, 10))
    fake_wechat.state.receive("o2", 1, at(day, 11))
    fake_wechat.state.receive("o2", 3, at(day, 23))
    rows = datacube.upstream_msg(day, day, client=wechat)
    assert sorted((r.msg_type, r.msg_user, r.msg_count) for r in rows) == [(1, 2, 3), (3, 1, 1)]


def test_a_day_is_the_china_day_wechat_counts_in():
    assert day_of(at(date(2026, 3, 1), 23)) == date(2026, 3, 1)
    assert day_of(at(date(2026, 3, 1), 0)) == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("path", "body", "errcode"),
    [
        ("getusersummary", {"begin_date": "2026-01-01", "end_date": "2026-01-08"}, 61501),
        ("getarticlesummary", {"begin_date": "2026-01-01", "end_date": "2026-01-02"}, 61501),
        ("getuserread", {"begin_date": "2026-01-01", "end_date": "2026-01-04"}, 61501),
        ("getusersummary", {"begin_date": "2026-01-05", "end_date": "2026-01-01"}, 61501),
        ("getusersummary", {"begin_date": "20260101", "end_date": "2026-01-02"}, 61500),
        ("getupstreammsg", {"begin_date": "2026-1-1", "end_date": "2026-01-02"}, 61500),
        ("getusershare", {"begin_date": None, "end_date": "2026-01-02"}, 61500),
    ],
)
def test_the_fake_refuses_dates_as_wechat_documents(wechat, path, body, errcode):
    with pytest.raises(WeChatAPIError) as caught:
        wechat.post(f"/datacube/{path}", body)
    assert caught.value.errcode == errcode
    assert "日期" in caught.value.operator_message


def test_today_is_not_ready_yet_and_the_operator_reads_why(wechat):
    with pytest.raises(WeChatAPIError) as caught:
        datacube.user_cumulate(today() - timedelta(days=1), today(), client=wechat)
    assert caught.value.errcode == 61501
    assert caught.value.operator_message.startswith("数据统计接口的日期范围不正确")


def test_a_rejected_token_is_refreshed_and_the_statistics_still_come(wechat, fake_wechat):
    day = today() - timedelta(days=1)
    datacube.user_cumulate(day, day, client=wechat)
    fake_wechat.revoke_tokens()
    assert datacube.user_cumulate(day, day, client=wechat)[0].day == day
    assert fake_wechat.count("/cgi-bin/stable_token") == 2


def test_the_client_refuses_a_backwards_range_before_calling(wechat, fake_wechat):
    with pytest.raises(ValueError):
        datacube.user_summary(today(), today() - timedelta(days=3), client=wechat)
    assert fake_wechat.count("/datacube/getusersummary") == 0
