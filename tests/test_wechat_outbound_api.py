"""Menu, customer-service messages, media and JS-SDK calls against the fake over HTTP."""

import io
import subprocess
import sys

import httpx
import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from PIL import Image as PILImage

from tests.fake_wechat_server import APP_ID, SECRET
from weizhi.wechat.account import SIMULATED_APP_ID, current_account, forget_account
from weizhi.wechat.api import material, menu, messages
from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.api.jssdk import js_sdk_config, jsapi_signature
from weizhi.wechat.records.models import Credential

pytest_plugins = ["tests.fake_wechat_server"]


def png(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


MENU = [
    {"type": "click", "name": "今日要闻", "key": "NEWS"},
    {"type": "view", "name": "学习", "url": "https://example.org/learn"},
    {
        "name": "服务",
        "sub_button": [
            {"type": "click", "name": "一分钟答题", "key": "QUIZ"},
            {
                "type": "miniprogram",
                "name": "小程序",
                "url": "https://example.org",
                "appid": "wx286b93c14bbf93aa",
                "pagepath": "pages/index",
            },
        ],
    },
]


def test_a_menu_is_created_and_read_back(wechat):
    menu.create_menu(MENU, client=wechat)
    buttons = menu.get_menu(client=wechat)
    assert [b["name"] for b in buttons] == ["今日要闻", "学习", "服务"]
    assert buttons[2]["sub_button"][0]["key"] == "QUIZ"
    menu.delete_menu(client=wechat)
    assert menu.get_menu(client=wechat) == []


def _sub(n: int) -> list[dict]:
    return [{"type": "click", "name": f"子{i}", "key": f"K{i}"} for i in range(n)]


@pytest.mark.parametrize(
    ("buttons", "errcode"),
    [
        ([{"type": "click", "name": f"按钮{i}", "key": "K"} for i in range(4)], 40016),
        ([], 40016),
        ([{"type": "click", "name": "超过十六字节的名", "key": "K"}], 40018),
        ([{"type": "click", "name": "答题", "key": "K" * 129}], 40019),
        ([{"type": "jump", "name": "答题", "key": "K"}], 40017),
        ([{"type": "view", "name": "学习"}], 40020),
        ([{"name": "服务", "sub_button": _sub(6)}], 40023),
        (
            [{"name": "服务", "sub_button": [{"type": "click", "name": "长" * 21, "key": "K"}]}],
            40025,
        ),
        ([{"name": "服务", "sub_button": [{"type": "view", "name": "链接"}]}], 40027),
        ([{"type": "miniprogram", "name": "小程序", "url": "https://e.org"}], 40035),
    ],
)
def test_menus_outside_wechats_limits_are_refused_with_its_codes(wechat, buttons, errcode):
    with pytest.raises(WeChatAPIError) as caught:
        menu.create_menu(buttons, client=wechat)
    assert caught.value.errcode == errcode


def test_text_and_news_customer_service_messages_reach_the_follower(wechat, fake_wechat):
    fake_wechat.state.add_user("o-member")
    messages.send_custom_message("o-member", messages.text_message("您好，欢迎关注"), client=wechat)
    card = messages.news_message(
        "标题", "摘要", "https://example.org/a", "https://example.org/p.png"
    )
    messages.send_custom_message("o-member", card, client=wechat)
    sent = fake_wechat.state.custom_messages
    assert sent[0]["text"]["content"] == "您好，欢迎关注"
    assert sent[1]["news"]["articles"][0]["url"] == "https://example.org/a"


def test_a_message_to_a_stranger_is_refused(wechat):
    with pytest.raises(WeChatAPIError) as caught:
        messages.send_custom_message("o-nobody", messages.text_message("hi"), client=wechat)
    assert caught.value.errcode == 40003
    assert "OpenID" in caught.value.operator_message


def test_images_upload_for_articles_and_as_permanent_material(wechat, fake_wechat):
    url = material.upload_image("photo.png", png(), client=wechat)
    assert url.startswith("http://mmbiz.qpic.cn/")
    assert fake_wechat.state.uploaded_images[url] == png()
    media_id = material.add_material("image", "cover.png", png(), client=wechat)
    assert fake_wechat.state.material[media_id]["type"] == "image"


def test_an_article_image_must_be_jpeg_or_png(wechat):
    with pytest.raises(WeChatAPIError) as caught:
        material.upload_image("anim.gif", b"GIF89a...", client=wechat)
    assert caught.value.errcode == 40005


def test_the_js_sdk_signature_matches_wechats_published_example():
    ticket = (
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    )
    signature = jsapi_signature(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com")
    assert signature == "f4d90daf4b3bca3078ab155816175ba34c443a7b"
    # the #fragment is not part of the signed URL
    assert signature == jsapi_signature(
        ticket, "Wm3WZYTPz0wzccnW", "1414587457", "http://mp.weixin.qq.com#share"
    )


def test_the_jsapi_ticket_is_fetched_once_and_signs_the_config(wechat, fake_wechat):
    first = js_sdk_config(
        "https://h5.example.org/a?x=1", ["updateAppMessageShareData"], client=wechat
    )
    second = js_sdk_config("https://h5.example.org/b", ["startRecord"], client=wechat)
    assert fake_wechat.count("/cgi-bin/ticket/getticket") == 1
    ticket = Credential.objects.get(kind="jsapi_ticket").value
    assert first["appId"] == APP_ID
    assert first["signature"] == jsapi_signature(
        ticket, first["nonceStr"], first["timestamp"], "https://h5.example.org/a?x=1"
    )
    assert second["jsApiList"] == ["startRecord"]


def test_the_fake_runs_as_its_own_process():
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "weizhi.wechat.fake",
            "--port",
            "0",
            "--app-id",
            "wxp",
            "--secret",
            "s",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        url = line.split()[4]
        answer = httpx.post(
            url + "/cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": "wxp", "secret": "s"},
        ).json()
        assert answer["expires_in"] == 7200
        wrong = httpx.post(
            url + "/cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": "wxp", "secret": "x"},
        ).json()
        assert wrong["errcode"] == 40125
    finally:
        child.terminate()
        child.wait(10)


@pytest.fixture
def in_process_client(db):
    """The real client, through Django's URL routing, to the fake mounted in-process."""
    from weizhi.wechat.api.client import WeChatClient
    from weizhi.wechat.api.tokens import TokenStore
    from weizhi.wsgi import application

    forget_account()
    account = current_account()
    http = httpx.Client(transport=httpx.WSGITransport(app=application))
    # As Django's test client does: keep the test transaction's connection across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WeChatClient(account, http=http, tokens=TokenStore())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        forget_account()


def test_the_simulated_account_talks_to_the_fake_mounted_in_process(in_process_client):
    assert in_process_client.account.simulated
    assert in_process_client.account.app_id == SIMULATED_APP_ID
    menu.create_menu(MENU, client=in_process_client)
    assert len(menu.get_menu(client=in_process_client)) == 3


def test_the_mounted_fake_checks_the_simulated_secret(in_process_client):
    from dataclasses import replace

    in_process_client.account = replace(in_process_client.account, app_secret="guessed")
    with pytest.raises(WeChatAPIError) as caught:
        menu.get_menu(client=in_process_client)
    assert caught.value.errcode == 40125


def test_the_fake_is_not_reachable_with_a_real_account(client, db):
    forget_account()
    try:
        with override_settings(WECHAT_APP_ID="wxreal000000001", WECHAT_APP_SECRET=SECRET):
            forget_account()
            response = client.post(
                "/wechat/fake-api/cgi-bin/stable_token",
                data={"grant_type": "client_credential", "appid": "wxreal000000001"},
                content_type="application/json",
            )
            assert response.status_code == 404
        forget_account()
        response = client.get("/wechat/fake-api/cgi-bin/menu/get")
        assert response.status_code == 200  # simulated again: the fake answers (41001)
        assert response.json()["errcode"] == 41001
    finally:
        forget_account()


def test_two_processes_of_the_in_process_fake_share_tokens_and_drafts():
    """Embedded mode runs two web processes, each with its own fake: a draft made in one
    must publish in the other, once, and forged ids must still be refused."""
    from weizhi.wechat.fake import FakeWeChat, Request

    one, two = FakeWeChat("wxdemo", "s3cret"), FakeWeChat("wxdemo", "s3cret")

    def call(fake, path, body=None, **query):
        method = "POST" if body is not None else "GET"
        return fake.handle(Request(method, path, {**query}, json=body))

    token = call(
        one,
        "/cgi-bin/stable_token",
        {"grant_type": "client_credential", "appid": "wxdemo", "secret": "s3cret"},
    )["access_token"]
    thumb = one.handle(
        Request(
            "POST",
            "/cgi-bin/material/add_material",
            {"access_token": token, "type": "image"},
            files={"media": ("c.png", png(), "image/png")},
        )
    )["media_id"]
    article = {"title": "标题", "content": "<p>正文</p>", "thumb_media_id": thumb}
    draft = call(two, "/cgi-bin/draft/add", {"articles": [article]}, access_token=token)
    published = call(
        one, "/cgi-bin/freepublish/submit", {"media_id": draft["media_id"]}, access_token=token
    )
    assert published["errcode"] == 0
    again = call(
        one, "/cgi-bin/freepublish/submit", {"media_id": draft["media_id"]}, access_token=token
    )
    assert again["errcode"] == 40007
    forged = call(
        one, "/cgi-bin/freepublish/submit", {"media_id": "draft-0000-0000"}, access_token=token
    )
    assert forged["errcode"] == 40007
    other_secret = FakeWeChat("wxdemo", "another")
    assert other_secret.check_token(token) == 40001


def test_the_in_process_fake_reports_a_publish_another_process_took_as_finished():
    """The scheduler's poll asks its own fake about a publish a web worker submitted."""
    from weizhi.wechat.fake import FakeWeChat, Request

    demo, strict = FakeWeChat("wxdemo", "s3cret", strict_users=False), FakeWeChat("wx", "s")

    def ask(fake, publish_id):
        login = {"grant_type": "client_credential", "appid": fake.app_id, "secret": fake.secret}
        token = fake.handle(Request("POST", "/cgi-bin/stable_token", {}, json=login))
        body = {"publish_id": publish_id}
        query = {"access_token": token["access_token"]}
        return fake.handle(Request("POST", "/cgi-bin/freepublish/get", query, json=body))

    assert ask(demo, "100000007")["publish_status"] == 0
    assert ask(demo, "forged")["errcode"] == 48006
    assert ask(strict, "100000007")["errcode"] == 48006
