"""The 公众号模拟器's endpoints, driven as its page drives them: seal a message, POST it to the
real callback URL, open the answer, read the chat back from the stored messages."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests import factories
from tests.base import superuser, user_in
from weizhi.audience.models import Follower
from weizhi.wechat.account import current_account, forget_account
from weizhi.wechat.models import CustomMenu, InboundMessage, ReplyCard, ReplyRule

pytestmark = pytest.mark.django_db

PAGE = "/admin/wechat/simulator/"
SEAL = PAGE + "seal/"
OPEN = PAGE + "open/"
HISTORY = PAGE + "history/"
FOLLOWER = PAGE + "follower/"


@pytest.fixture
def editor(client):
    client.force_login(user_in("编辑", username="editor"))
    return client


@pytest.fixture
def real_account(settings):
    settings.WECHAT_APP_ID = "wx2c2769f8efd9abc2"
    settings.WECHAT_TOKEN = "spamtest"
    settings.WECHAT_ENCODING_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    settings.WECHAT_MESSAGE_MODE = "safe"
    forget_account()
    yield
    forget_account()


def new_follower(client, remark: str = "") -> str:
    response = client.post(FOLLOWER, {"remark": remark})
    assert response.status_code == 200, response.content
    return response.json()["follower"]["openid"]


def exchange(client, openid: str, kind: str, **fields) -> dict:
    """One round trip as the page's script makes it; the opened answer and the raw parts."""
    sealed = client.post(SEAL, {"openid": openid, "kind": kind, **fields})
    assert sealed.status_code == 200, sealed.json()
    sealed = sealed.json()
    assert sealed["url"].startswith("/wechat/callback/?")
    answer = client.post(sealed["url"], data=sealed["body"].encode(), content_type="text/xml")
    opened = client.post(OPEN, {"status": answer.status_code, "body": answer.content.decode()})
    assert opened.status_code == 200, opened.json()
    return {"sealed": sealed, "answer": answer, **opened.json()}


def chat(client, openid: str) -> dict:
    response = client.get(HISTORY, {"openid": openid})
    assert response.status_code == 200, response.json()
    return response.json()


def keyword_rule(**fields) -> ReplyRule:
    defaults = {"name": "党章", "trigger": "keyword", "keywords": "党章", "text": "党章全文"}
    return ReplyRule.objects.create(**{**defaults, **fields})


def test_a_new_simulated_follower_has_not_followed_yet(editor):
    openid = new_follower(editor, "小李")
    follower = Follower.objects.get(openid=openid)
    assert openid.startswith("sim-")
    assert follower.simulated and follower.remark == "小李"
    assert not follower.subscribed
    second = Follower.objects.get(openid=new_follower(editor))
    assert second.remark == "模拟粉丝 2"


def test_a_subscribe_goes_through_the_encrypted_callback_and_gets_the_welcome(editor):
    ReplyRule.objects.create(name="欢迎", trigger="subscribe", text="欢迎关注微智！")
    openid = new_follower(editor)
    result = exchange(editor, openid, "subscribe")
    # The simulated account runs in safe mode: the message and the answer are both sealed.
    assert result["sealed"]["encrypted"]
    assert "<Encrypt>" in result["sealed"]["body"] and openid not in result["sealed"]["body"]
    assert b"<Encrypt>" in result["answer"].content
    assert result["reply"] == {"type": "text", "content": "欢迎关注微智！"}
    assert "欢迎关注微智！" in result["xml"]
    assert Follower.objects.get(openid=openid).subscribed
    stored = InboundMessage.objects.get(openid=openid)
    assert stored.encrypted and stored.event == "subscribe"
    history = chat(editor, openid)
    assert history["follower"]["subscribed"]
    [item] = history["items"]
    assert item["said"] == "关注了公众号"
    assert item["rule"] == "欢迎"
    assert item["reply"]["content"] == "欢迎关注微智！"


def test_text_voice_and_menu_clicks_reach_their_rules(editor, home):
    keyword_rule()
    story = factories.article(title="学习党章的体会")
    rule = ReplyRule.objects.create(
        name="推荐", trigger="click", keywords="RECOMMEND", reply_type="news"
    )
    ReplyCard.objects.create(rule=rule, page=story, description="一篇好文章")
    ReplyCard.objects.create(rule=rule, title="在线答题", url="https://example.org/quiz")
    openid = new_follower(editor)
    exchange(editor, openid, "subscribe")

    assert exchange(editor, openid, "text", text="党章")["reply"]["content"] == "党章全文"
    assert exchange(editor, openid, "voice", text="党章。")["reply"]["content"] == "党章全文"
    news = exchange(editor, openid, "click", key="RECOMMEND")["reply"]
    assert news["type"] == "news"
    assert [a["title"] for a in news["articles"]] == ["学习党章的体会", "在线答题"]
    assert news["articles"][0]["description"] == "一篇好文章"
    assert news["articles"][0]["url"].endswith(story.url)
    nothing = exchange(editor, openid, "text", text="随便说说")
    assert nothing["reply"] is None and nothing["answer"].content == b"success"

    items = chat(editor, openid)["items"]
    assert [i["said"] for i in items] == [
        "关注了公众号",
        "党章",
        "党章。",
        "点击菜单 RECOMMEND",
        "随便说说",
    ]
    assert [i["kind"] for i in items] == ["event", "text", "voice", "event", "text"]
    assert items[3]["reply"]["articles"][1]["url"] == "https://example.org/quiz"
    assert items[4]["reply"] is None and items[4]["status"] == "no_reply"


def test_an_unsubscribe_is_recorded_and_then_only_a_new_subscribe_is_allowed(editor):
    openid = new_follower(editor)
    refused = editor.post(SEAL, {"openid": openid, "kind": "text", "text": "你好"})
    assert refused.status_code == 400
    assert "请先点“关注”" in refused.json()["error"]
    exchange(editor, openid, "subscribe")
    again = editor.post(SEAL, {"openid": openid, "kind": "subscribe"})
    assert "已经关注" in again.json()["error"]
    assert exchange(editor, openid, "unsubscribe")["reply"] is None
    assert not Follower.objects.get(openid=openid).subscribed
    assert chat(editor, openid)["items"][-1]["said"] == "取消关注了公众号"


def test_a_slow_search_answers_now_and_its_late_answer_shows_when_sent(
    editor, account_on_fake, home, django_capture_on_commit_callbacks
):
    factories.article(title="抗洪抢险纪实")
    keyword_rule(
        name="搜索", keywords="搜索", match="contains", reply_type="action", action="search"
    )
    openid = new_follower(editor)
    account_on_fake.state.add_user(openid)
    exchange(editor, openid, "subscribe")
    with django_capture_on_commit_callbacks() as pending:
        first = exchange(editor, openid, "text", text="搜索 抗洪")
    assert first["reply"]["content"].startswith("正在搜索“抗洪”")
    waiting = chat(editor, openid)
    assert waiting["pending"] and waiting["items"][-1]["pending"]
    assert waiting["items"][-1]["reply"]["content"].startswith("正在搜索")
    for callback in pending:  # the task that sends the late answer
        callback()
    [sent] = account_on_fake.state.custom_messages
    assert sent["touser"] == openid
    done = chat(editor, openid)
    assert not done["pending"]
    last = done["items"][-1]
    assert last["late"] and last["status_label"] == "已发客服消息"
    assert last["reply"]["content"].startswith("正在搜索")  # the acknowledgement stays
    assert last["late_reply"]["type"] == "news"
    assert last["late_reply"]["articles"][0]["title"] == "抗洪抢险纪实"


def test_a_late_answer_that_could_not_be_sent_is_shown_as_failed(
    editor, account_on_fake, home, django_capture_on_commit_callbacks
):
    keyword_rule(
        name="搜索", keywords="搜索", match="contains", reply_type="action", action="search"
    )
    openid = new_follower(editor)
    account_on_fake.state.add_user(openid)
    exchange(editor, openid, "subscribe")
    account_on_fake.fail_next("/cgi-bin/message/custom/send", 45015)
    with django_capture_on_commit_callbacks(execute=True):
        exchange(editor, openid, "text", text="搜索 党史")
    assert not account_on_fake.state.custom_messages
    last = chat(editor, openid)["items"][-1]
    assert last["failed"] and not last["pending"] and not last["late"]
    assert last["reply"]["content"].startswith("正在搜索")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"kind": "text", "text": "   "}, "请输入要发送的文字"),
        ({"kind": "voice", "text": ""}, "请输入语音识别出的文字"),
        ({"kind": "text", "text": "字" * 601}, "最多 600 个字"),
        ({"kind": "click", "key": ""}, "请选择要点击的菜单"),
        ({"kind": "click", "key": "k" * 129}, "最长 128 个字节"),
        ({"kind": "view", "key": "javascript:alert(1)"}, "应以 http:// 或 https:// 开头"),
        ({"kind": "image"}, "不认识的消息类型"),
        ({"kind": "text", "text": "你好", "openid": ""}, "请先选择或新建"),
        ({"kind": "text", "text": "你好", "openid": "sim-nobody"}, "找不到这个粉丝"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_sent(editor, fields, error):
    openid = new_follower(editor)
    exchange(editor, openid, "subscribe")
    response = editor.post(SEAL, {"openid": openid, **fields})
    assert response.status_code in (400, 404)
    assert error in response.json()["error"]
    assert InboundMessage.objects.count() == 1


def test_six_hundred_characters_are_still_accepted(editor):
    openid = new_follower(editor)
    exchange(editor, openid, "subscribe")
    exchange(editor, openid, "text", text="字" * 600)
    assert InboundMessage.objects.filter(content="字" * 600).exists()


def test_on_the_simulated_account_any_follower_may_be_used(editor):
    Follower.objects.create(openid="o-demo", subscribed=True)
    keyword_rule()
    assert exchange(editor, "o-demo", "text", text="党章")["reply"]["content"] == "党章全文"


def test_on_a_real_account_real_followers_cannot_be_impersonated(editor, real_account):
    Follower.objects.create(openid="o-real-person", subscribed=True)
    refused = editor.post(SEAL, {"openid": "o-real-person", "kind": "text", "text": "退订"})
    assert refused.status_code == 403
    assert "只能以模拟粉丝的身份" in refused.json()["error"]
    assert editor.get(HISTORY, {"openid": "o-real-person"}).status_code == 403
    page = editor.get(PAGE)
    assert "o-real-person" not in page.content.decode()
    keyword_rule()
    openid = new_follower(editor)
    exchange(editor, openid, "subscribe")
    assert exchange(editor, openid, "text", text="党章")["reply"]["content"] == "党章全文"


def test_opening_refuses_replies_addressed_to_anyone_but_a_simulated_follower(editor, real_account):
    from tests import wechat_sender as wx

    Follower.objects.create(openid="o-real-person", subscribed=True)
    keyword_rule()
    # A real follower's encrypted conversation, captured somewhere: the simulator won't open it.
    answer, _ = wx.post(editor, wx.text("o-real-person", "党章"))
    assert b"<Encrypt>" in answer.content
    opened = editor.post(OPEN, {"status": "200", "body": answer.content.decode()})
    assert opened.status_code == 403
    assert "党章全文" not in opened.content.decode()


def cdata(xml: str, name: str) -> str:
    return re.search(rf"<{name}><!\[CDATA\[(.*?)\]\]></{name}>", xml).group(1)


def test_messages_go_to_the_simulated_accounts_original_id_and_come_back_from_it(editor):
    original_id = current_account().original_id
    assert re.fullmatch(r"gh_[0-9a-f]{12}", original_id)
    keyword_rule()
    openid = new_follower(editor)
    exchange(editor, openid, "subscribe")
    result = exchange(editor, openid, "text", text="党章")
    assert cdata(result["sealed"]["xml"], "ToUserName") == original_id
    assert cdata(result["xml"], "FromUserName") == original_id
    assert "gh_weizhi" not in result["sealed"]["xml"]


def test_on_a_real_account_messages_go_to_its_configured_original_id(
    editor, real_account, settings
):
    settings.WECHAT_ORIGINAL_ID = "gh_3dfda90e39d6"
    forget_account()
    openid = new_follower(editor)
    result = exchange(editor, openid, "subscribe")
    assert cdata(result["sealed"]["xml"], "ToUserName") == "gh_3dfda90e39d6"


def test_an_answer_that_is_not_200_or_does_not_open_is_reported(editor):
    refused = editor.post(OPEN, {"status": "403", "body": "forbidden"})
    assert refused.status_code == 502
    assert "HTTP 403" in refused.json()["error"]
    garbled = editor.post(OPEN, {"status": "200", "body": "<xml><Encrypt>bm9wZQ==</Encrypt></xml>"})
    assert garbled.status_code == 502
    assert "回复无法解开" in garbled.json()["error"]


def test_the_page_lists_simulated_followers_and_menu_keys(editor):
    openid = new_follower(editor, "测试粉丝")
    ReplyRule.objects.create(name="最新文章", trigger="click", keywords="LATEST", text="x")
    ReplyRule.objects.create(name="停用", trigger="click", keywords="OFF", text="x", enabled=False)
    response = editor.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "公众号模拟器" in html
    assert f'value="{openid}"' in html and "测试粉丝" in html
    assert 'data-key="LATEST"' in html and 'data-key="OFF"' not in html
    assert "weizhi/simulator.js" in html and "weizhi/simulator.css" in html


def test_the_menu_shows_the_simulator_to_editors_only(client):
    client.force_login(user_in("编辑", username="editor"))
    assert reverse("wechat_simulator") in client.get("/admin/").content.decode()
    client.force_login(user_in("留言管理员", username="reader"))
    assert reverse("wechat_simulator") not in client.get("/admin/").content.decode()


def test_every_endpoint_is_403_without_the_permission(client):
    follower = Follower.objects.create(openid="sim-x", simulated=True, subscribed=True)
    user = user_in("留言管理员", username="reader")
    assert user.has_perm("wagtailadmin.access_admin")
    client.force_login(user)
    assert client.get(PAGE).status_code == 403
    assert client.get(HISTORY, {"openid": follower.openid}).status_code == 403
    assert client.post(FOLLOWER, {"remark": "x"}).status_code == 403
    seal = client.post(SEAL, {"openid": follower.openid, "kind": "subscribe"})
    assert seal.status_code == 403 and "没有使用公众号模拟器的权限" in seal.json()["error"]
    assert client.post(OPEN, {"status": "200", "body": "success"}).status_code == 403
    assert Follower.objects.count() == 1


def test_the_permission_alone_opens_the_simulator(client):
    user = user_in("留言管理员", username="reader")
    user.user_permissions.add(Permission.objects.get(codename="change_replyrule"))
    client.force_login(user)
    assert client.get(PAGE).status_code == 200


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.post(SEAL, {"kind": "subscribe"}).status_code in (302, 403)
    assert not InboundMessage.objects.exists()


def test_posts_need_the_csrf_token(editor):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(superuser())
    assert strict.post(FOLLOWER, {"remark": "x"}).status_code == 403
    assert strict.post(SEAL, {"kind": "subscribe"}).status_code == 403
    assert not Follower.objects.exists()


def test_the_phone_shows_the_custom_menu_and_the_click_keys_it_lacks(editor):
    menu = CustomMenu.load()
    menu.buttons = [
        {"type": "click", "name": "今日头条", "key": "LATEST"},
        {
            "name": "学习",
            "sub_button": [
                {"type": "view", "name": "党员之家", "url": "https://example.org/home"},
                {"type": "miniprogram", "name": "小程序", "url": "https://x", "appid": "wx1"},
            ],
        },
    ]
    menu.save()
    ReplyRule.objects.create(name="最新文章", trigger="click", keywords="LATEST", text="x")
    ReplyRule.objects.create(name="联系我们", trigger="click", keywords="CONTACT", text="x")
    html = editor.get(PAGE).content.decode()
    assert 'data-key="LATEST"' in html and ">今日头条<" in html
    assert 'data-action="view" data-key="https://example.org/home"' in html
    assert "模拟器不能打开小程序" in html
    assert ">其他 key<" in html and 'data-key="CONTACT"' in html
    assert html.count('data-key="LATEST"') == 1


def test_a_view_event_is_stored_and_needs_no_reply(editor):
    openid = new_follower(editor)
    exchange(editor, openid, "subscribe")
    result = exchange(editor, openid, "view", key="https://example.org/home")
    assert result["reply"] is None
    item = chat(editor, openid)["items"][-1]
    assert item["said"] == "打开菜单网页 https://example.org/home" and item["event"] == "VIEW"


def test_on_the_simulated_account_a_search_answer_is_delivered_whatever_site_url_says(
    editor, home, settings, django_capture_on_commit_callbacks
):
    """The cause of 客服消息发送失败: the late answer went over HTTP to SITE_URL's fake API, an
    address that need not reach this server. Nothing listens on port 9 here."""
    from weizhi.wechat.fake.urls import fake_for

    settings.SITE_URL = "http://127.0.0.1:9"
    forget_account()
    account = current_account()
    assert account.simulated
    factories.article(title="抗洪抢险纪实", cover=factories.image(size=(470, 200)))
    keyword_rule(
        name="搜索", keywords="搜索", match="contains", reply_type="action", action="search"
    )
    openid = new_follower(editor)
    exchange(editor, openid, "subscribe")
    with django_capture_on_commit_callbacks(execute=True):
        exchange(editor, openid, "text", text="搜索 抗洪")
    last = chat(editor, openid)["items"][-1]
    assert last["late"] and last["status_label"] == "已发客服消息", last
    [card] = last["late_reply"]["articles"]
    assert card["title"] == "抗洪抢险纪实"
    # The cover is shown from the page's own origin, not from SITE_URL's.
    assert card["pic_url"].startswith("/media/") and card["url"].startswith("/")
    fake = fake_for(account.app_id, account.app_secret)
    sent = [m for m in fake.state.custom_messages if m["touser"] == openid]
    assert sent[-1]["news"]["articles"][0]["picurl"].startswith("http://127.0.0.1:9/media/")
