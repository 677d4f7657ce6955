"""The reply router, driven through the real callback URL: rules, priorities, active hours,
built-in actions and the one-time login link."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests import factories
from tests import wechat_sender as wx
from weizhi.audience.identity import SESSION_FOLLOWER_KEY
from weizhi.audience.models import Follower
from weizhi.wechat.callback import router
from weizhi.wechat.models import InboundMessage, ReplyCard, ReplyRule
from weizhi.wechat.protocol import TextMessage

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def rule(**fields) -> ReplyRule:
    fields.setdefault("name", "规则")
    fields.setdefault("trigger", "keyword")
    if fields.get("reply_type", "text") == "text":
        fields.setdefault("text", "回复")
    return ReplyRule.objects.create(**fields)


def said(client, content: str, openid: str = "o-user") -> dict | None:
    return wx.post(client, wx.text(openid, content))[1]


def test_exact_keywords_match_whole_messages_ignoring_case(client):
    rule(keywords="党章\nDZ", match="exact", text="党章全文")
    assert said(client, "党章")["Content"] == "党章全文"
    assert said(client, "dz")["Content"] == "党章全文"
    assert said(client, "学习党章") is None


def test_contains_keywords_match_inside_a_message(client):
    rule(keywords="天气", match="contains", text="天气功能即将上线")
    assert said(client, "今天天气怎么样")["Content"] == "天气功能即将上线"


def test_regex_keywords_match_by_pattern(client):
    rule(keywords=r"^第\d+期$", match="regex", text="往期回顾")
    assert said(client, "第12期")["Content"] == "往期回顾"
    assert said(client, "第十二期") is None


def test_the_rule_with_the_higher_priority_wins(client):
    rule(name="低", keywords="学习", match="contains", text="低优先级", priority=1)
    rule(name="高", keywords="学习", match="contains", text="高优先级", priority=9)
    assert said(client, "学习强国")["Content"] == "高优先级"
    stored = InboundMessage.objects.get()
    assert stored.rule.name == "高"
    assert stored.status == InboundMessage.Status.REPLIED


def test_a_disabled_rule_never_answers(client):
    rule(keywords="你好", text="不该出现", enabled=False)
    assert said(client, "你好") is None


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 27, hour, minute, tzinfo=SHANGHAI)


def test_active_hours_limit_a_rule_to_its_window_even_across_midnight():
    rule(keywords="值班", text="夜间值班电话", active_from=time(22), active_until=time(7))
    message = TextMessage(
        to_user="gh", from_user="o", create_time=0, msg_type="text", content="值班"
    )
    assert router.route(message, now=_at(23)).reply.content == "夜间值班电话"
    assert router.route(message, now=_at(6, 59)).reply.content == "夜间值班电话"
    assert router.route(message, now=_at(12)).reply is None


def test_the_default_reply_answers_what_no_rule_matched(client):
    rule(name="默认", trigger="default", text="您的留言已收到")
    rule(keywords="党费", text="党费标准")
    assert said(client, "党费")["Content"] == "党费标准"
    assert said(client, "随便问问")["Content"] == "您的留言已收到"


def test_subscribing_gets_the_welcome_reply(client):
    rule(name="欢迎", trigger="subscribe", text="欢迎关注！")
    _, reply = wx.post(client, wx.event("o-new", "subscribe"))
    assert reply["Content"] == "欢迎关注！"


def test_a_menu_click_gets_the_rule_for_its_key(client):
    rule(name="联系我们", trigger="click", keywords="CONTACT", text="电话：010-12345678")
    _, reply = wx.post(client, wx.event("o1", "CLICK", EventKey="CONTACT"))
    assert reply["Content"] == "电话：010-12345678"
    _, other = wx.post(client, wx.event("o1", "CLICK", EventKey="OTHER"))
    assert other is None


def test_recognised_speech_is_matched_like_text(client):
    rule(keywords="党章", text="党章全文")
    message = wx.fields("o1", "voice", MediaId="m", Format="amr", Recognition="党章。")
    assert wx.post(client, message)[1]["Content"] == "党章全文"


def test_a_changed_rule_is_live_on_the_next_message(client):
    greeting = rule(keywords="你好", text="旧的回复")
    assert said(client, "你好")["Content"] == "旧的回复"
    greeting.text = "新的回复"
    greeting.save()
    assert said(client, "你好")["Content"] == "新的回复"


def test_a_news_rule_answers_a_click_with_its_cards(client, home):
    page = factories.article(title="两会精神解读", summary="一图读懂")
    news = rule(name="图文", trigger="click", keywords="NEWS", reply_type="news")
    ReplyCard.objects.create(rule=news, page=page, sort_order=0)
    ReplyCard.objects.create(
        rule=news, title="H5 活动", url="https://h5.example.org/act", sort_order=1
    )
    _, reply = wx.post(client, wx.event("o1", "CLICK", EventKey="NEWS"))
    assert reply["MsgType"] == "news"
    items = reply["Articles"]["item"]
    assert [i["Title"] for i in items] == ["两会精神解读", "H5 活动"]
    assert items[0]["Url"].endswith(page.url)
    assert items[0]["Description"] == "一图读懂"


def test_latest_articles_of_a_column_answer_a_click_with_cards(client, home):
    toutiao = factories.column("toutiao")
    older = factories.article(title="旧闻", display_date=timezone.now() - timedelta(days=3))
    newer = factories.article(title="新闻", display_date=timezone.now())
    factories.article(parent=factories.column("wenhua"), title="别的栏目")
    rule(
        name="头条",
        trigger="click",
        keywords="LATEST",
        reply_type="action",
        action="latest",
        action_column=toutiao,
    )
    _, reply = wx.post(client, wx.event("o1", "CLICK", EventKey="LATEST"))
    titles = [i["Title"] for i in reply["Articles"]["item"]]
    assert titles == [newer.title, older.title]


def test_latest_articles_answer_a_text_message_with_links_since_wechat_shows_one_card(client, home):
    factories.article(title="第一篇")
    factories.article(title="第二篇")
    rule(keywords="最新", reply_type="action", action="latest")
    reply = said(client, "最新")
    assert reply["MsgType"] == "text"
    assert "第一篇</a>" in reply["Content"] and "第二篇</a>" in reply["Content"]


def test_search_without_words_asks_for_them(client):
    rule(keywords="搜索", match="contains", reply_type="action", action="search")
    assert "搜索 党章" in said(client, "搜索")["Content"]


def test_the_bind_action_sends_a_one_time_login_link(client):
    rule(keywords="绑定", reply_type="action", action="bind")
    content = said(client, "绑定", openid="o-bind")["Content"]
    link = content.split('href="')[1].split('"')[0]
    path = link.removeprefix("http://127.0.0.1:8000")
    browser = type(client)()
    opened = browser.get(path)
    # Not yet known as a member: the link leads to proving who they are.
    assert opened.status_code == 302 and opened["Location"] == "/me/bind/"
    follower = Follower.objects.get(openid="o-bind")
    assert browser.session[SESSION_FOLLOWER_KEY] == follower.pk
    again = type(client)().get(path)
    assert again.status_code == 400
    assert "已经用过" in again.content.decode()


def test_a_forged_or_expired_login_link_logs_nobody_in(client, settings):
    from django.core import signing

    from weizhi.wechat.signin import links

    forged = client.get("/wechat/login/not-a-token/")
    assert forged.status_code == 400
    old = signing.dumps({"o": "o1", "n": "abc", "next": "/me/"}, salt=links.SALT)
    settings.WECHAT_LOGIN_LINK_MINUTES = 10
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(links, "MAX_AGE", -1)
        expired = client.get(f"/wechat/login/{old}/")
    assert expired.status_code == 400
    assert "过期" in expired.content.decode()
    assert SESSION_FOLLOWER_KEY not in client.session


def test_a_bound_followers_link_leads_on_but_never_off_site(client):
    from django.core import signing

    from tests import test_audience_support as audience
    from weizhi.wechat.signin import links

    follower = audience.follower("o-bound")
    follower.member = audience.member(audience.tree()["first"], "D20001")
    follower.save()
    for target, expected in [("/me/phone/", "/me/phone/"), ("https://evil.example/", "/me/")]:
        token = signing.dumps({"o": "o-bound", "n": target, "next": target}, salt=links.SALT)
        response = client.get(f"/wechat/login/{token}/")
        assert response["Location"] == expected


def test_an_image_rule_answers_with_a_card_until_its_picture_is_in_wechat(client, home):
    picture = factories.image("党徽")
    rule(keywords="党徽", reply_type="image", image=picture, name="党徽图片")
    reply = said(client, "党徽")
    assert reply["MsgType"] == "news"
    assert reply["Articles"]["item"]["Title"] == "党徽图片"
    assert "/media/images/" in reply["Articles"]["item"]["PicUrl"]


def test_an_image_rule_is_uploaded_to_wechat_and_then_answers_with_the_image(
    client, home, account_on_fake, django_capture_on_commit_callbacks
):
    picture = factories.image("党徽")
    with django_capture_on_commit_callbacks(execute=True):
        saved = rule(keywords="党徽", reply_type="image", image=picture, name="党徽图片")
    saved.refresh_from_db()
    assert saved.image_media_id in account_on_fake.state.material
    _, reply = wx.post(client, wx.text("o1", "党徽"))
    assert reply["MsgType"] == "image"
    assert reply["Image"]["MediaId"] == saved.image_media_id
    saved.image = factories.image("新党徽")
    saved.save()
    saved.refresh_from_db()
    assert saved.image_media_id == ""
