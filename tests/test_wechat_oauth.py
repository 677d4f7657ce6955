"""WeChat web OAuth (snsapi_base) into the H5 pages, and the JS-SDK config endpoint."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from tests.fake_wechat_server import APP_ID
from tests.test_audience_support import member, tree
from weizhi.audience import identity
from weizhi.audience.models import Follower
from weizhi.wechat.account import SIMULATED_APP_ID, forget_account
from weizhi.wechat.api.jssdk import JS_API_LIST, jsapi_signature
from weizhi.wechat.records.models import Credential

pytestmark = pytest.mark.django_db

WECHAT_UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50"
START = "/wechat/oauth/start/"
CALLBACK = "/wechat/oauth/callback/"
JSSDK = "/wechat/oauth/jssdk/config/"


@pytest.fixture
def oauth_on(settings, account_on_fake):
    settings.WECHAT_OAUTH = True
    return account_on_fake


def start(client: Client, next_path: str = "/me/") -> dict[str, str]:
    """Open start/ inside WeChat; the query WeChat's authorize page was given."""
    response = client.get(START, {"next": next_path}, HTTP_USER_AGENT=WECHAT_UA)
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "open.weixin.qq.com",
        "/connect/oauth2/authorize",
    )
    return {key: values[0] for key, values in parse_qs(url.query).items()}


def come_back(client: Client, code: str, state: str):
    return client.get(CALLBACK, {"code": code, "state": state}, HTTP_USER_AGENT=WECHAT_UA)


def signed_in_openid(client: Client) -> str | None:
    follower_id = client.session.get(identity.SESSION_FOLLOWER_KEY)
    return None if follower_id is None else Follower.objects.get(pk=follower_id).openid


def test_start_inside_wechat_sends_the_browser_to_wechats_authorize_page(client, oauth_on):
    query = start(client)
    assert query["appid"] == APP_ID
    assert query["redirect_uri"] == "http://127.0.0.1:8000/wechat/oauth/callback/"
    assert query["scope"] == "snsapi_base" and query["response_type"] == "code"
    assert query["state"].isalnum() and len(query["state"]) <= 128


def test_outside_wechat_start_explains_the_bind_message_instead(client, oauth_on):
    response = client.get(START, {"next": "/me/"}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[0][0].startswith("/wechat/oauth/in-chat/")
    assert "发送“绑定”" in page


def test_an_account_without_oauth_falls_back_even_inside_wechat(client, account_on_fake):
    response = client.get(START, HTTP_USER_AGENT=WECHAT_UA)
    assert response["Location"].startswith("/wechat/oauth/in-chat/")


def test_the_code_logs_the_reader_in_and_an_unbound_follower_goes_to_bind(client, oauth_on):
    state = start(client, "/me/phone/")["state"]
    response = come_back(client, oauth_on.issue_oauth_code("o-reader-1"), state)
    assert response["Location"] == "/me/bind/"
    assert signed_in_openid(client) == "o-reader-1"
    assert Follower.objects.get(openid="o-reader-1").subscribed is False


def test_a_bound_follower_goes_to_the_next_path(client, oauth_on):
    Follower.objects.create(openid="o-bound", member=member(tree()["first"], "1001"))
    state = start(client, "/me/phone/?from=menu")["state"]
    response = come_back(client, oauth_on.issue_oauth_code("o-bound"), state)
    assert response["Location"] == "/me/phone/?from=menu"


def test_an_off_site_next_path_is_replaced_by_me(client, oauth_on):
    Follower.objects.create(openid="o-bound", member=member(tree()["first"], "1001"))
    state = start(client, "//evil.example/steal")["state"]
    response = come_back(client, oauth_on.issue_oauth_code("o-bound"), state)
    assert response["Location"] == "/me/"


def test_a_state_made_for_another_browser_is_refused_before_any_exchange(client, oauth_on):
    state = start(client)["state"]
    other = Client()
    response = come_back(other, oauth_on.issue_oauth_code("o-victim"), state)
    assert response.status_code == 400
    assert "登录请求已失效" in response.content.decode()
    assert oauth_on.count("/sns/oauth2/access_token") == 0
    assert signed_in_openid(other) is None


def test_an_altered_or_reused_state_is_refused(client, oauth_on):
    state = start(client)["state"]
    tampered = state[:-1] + ("0" if state[-1] != "0" else "1")
    assert come_back(client, oauth_on.issue_oauth_code("o-a"), tampered).status_code == 400
    assert come_back(client, oauth_on.issue_oauth_code("o-a"), state).status_code == 302
    again = come_back(client, oauth_on.issue_oauth_code("o-a"), state)
    assert again.status_code == 400


def test_a_used_code_is_explained_in_chinese(client, oauth_on):
    code = oauth_on.issue_oauth_code("o-reader-2")
    assert come_back(client, code, start(client)["state"]).status_code == 302
    response = come_back(client, code, start(client)["state"])
    assert response.status_code == 400
    assert "授权码已经用过了" in response.content.decode()


def test_a_made_up_code_is_explained_in_chinese(client, oauth_on):
    response = come_back(client, "made-up", start(client)["state"])
    assert response.status_code == 400
    assert "授权码无效或已过期" in response.content.decode()
    assert signed_in_openid(client) is None


def test_wechat_being_unavailable_is_a_page_not_a_500(client, oauth_on):
    oauth_on.fail_next("/sns/oauth2/access_token", 48001)
    response = come_back(client, oauth_on.issue_oauth_code("o-x"), start(client)["state"])
    assert response.status_code == 503
    assert "发送“绑定”" in response.content.decode()


def test_the_callback_is_rate_limited(client, oauth_on):
    codes = [come_back(client, "x", "y").status_code for _ in range(21)]
    assert codes[:20] == [400] * 20 and codes[20] == 429


def test_the_standalone_fake_authorizes_over_http(fake_wechat):
    query = {
        "appid": APP_ID,
        "redirect_uri": "https://h5.example.org/wechat/oauth/callback/",
        "response_type": "code",
        "scope": "snsapi_base",
        "state": "abc123",
    }
    url = fake_wechat.url + "/connect/oauth2/authorize"
    fake_wechat.state.add_user("o-known")
    picker = httpx.get(url, params=query)
    assert picker.status_code == 200 and "o-known" in picker.text
    back = httpx.get(url, params={**query, "openid": "o-known"})
    assert back.status_code == 302
    returned = parse_qs(urlsplit(back.headers["location"]).query)
    assert returned["state"] == ["abc123"]
    assert httpx.get(url, params={**query, "appid": "wxother"}).status_code == 400


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_simulated_account_round_trip_works_through_the_in_process_fake(
    client, settings, live_server
):
    # The exchange goes over HTTP to the fake mounted in the live server: the signed code
    # would be redeemed the same way by another web process.
    settings.SITE_URL = live_server.url
    forget_account()
    Follower.objects.create(openid="o-sim-1", simulated=True)
    as_staff(client)
    page = client.get(START, {"next": "/me/"}, follow=True).content.decode()
    assert "模拟在微信里打开" in page
    response = client.get(START, {"next": "/me/", "as": "wechat"})
    authorize = urlsplit(response["Location"])
    assert authorize.path == "/wechat/oauth/fake/connect/oauth2/authorize"
    query = {key: values[0] for key, values in parse_qs(authorize.query).items()}
    picker = client.get(authorize.path, query)
    assert "o-sim-1" in picker.content.decode()
    back = urlsplit(client.get(authorize.path, {**query, "openid": "o-sim-1"})["Location"])
    assert back.path == CALLBACK
    assert client.get(f"{back.path}?{back.query}")["Location"] == "/me/bind/"
    assert signed_in_openid(client) == "o-sim-1"
    forget_account()


def test_a_real_account_has_no_fake_authorize_page(client, account_on_fake):
    response = client.get("/wechat/oauth/fake/connect/oauth2/authorize", {"openid": "o"})
    assert response.status_code == 404


# The way in: a member page opened inside WeChat goes through OAuth by itself.


def through_wechat(client: Client, fake, authorize_url: str, openid: str):
    """WeChat's part of the round trip, played by the fake's authorize page over HTTP: the
    follower is sent back to our callback with a code, which the client then opens."""
    url = urlsplit(authorize_url)
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    back = httpx.get(fake.url + "/connect/oauth2/authorize", params={**query, "openid": openid})
    assert back.status_code == 302
    back = urlsplit(back.headers["location"])
    assert back.path == CALLBACK
    return client.get(f"{back.path}?{back.query}", HTTP_USER_AGENT=WECHAT_UA)


def open_inside_wechat(client: Client, path: str) -> str:
    """Open a member page inside WeChat, following our own redirects; where it leaves us."""
    response = client.get(path, HTTP_USER_AGENT=WECHAT_UA)
    while response.status_code == 302 and response["Location"].startswith("/"):
        response = client.get(response["Location"], HTTP_USER_AGENT=WECHAT_UA)
    assert response.status_code == 302, response.status_code
    return response["Location"]


def test_a_member_page_opened_inside_wechat_signs_the_follower_in_through_oauth(client, oauth_on):
    Follower.objects.create(openid="o-bound", member=member(tree()["first"], "1001", name="王芳"))
    authorize = open_inside_wechat(client, "/me/phone/")
    assert authorize.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?")
    response = through_wechat(client, oauth_on, authorize, "o-bound")
    assert response["Location"] == "/me/phone/"
    page = client.get("/me/phone/", HTTP_USER_AGENT=WECHAT_UA)
    assert page.status_code == 200 and "手机号" in page.content.decode()
    assert signed_in_openid(client) == "o-bound"


def test_a_follower_not_yet_bound_comes_back_to_the_bind_form(client, oauth_on):
    authorize = open_inside_wechat(client, "/me/")
    response = through_wechat(client, oauth_on, authorize, "o-new-reader")
    assert response["Location"] == "/me/bind/"
    page = client.get("/me/bind/", HTTP_USER_AGENT=WECHAT_UA).content.decode()
    assert "手机号后四位" in page


def test_the_bind_page_inside_wechat_asks_wechat_who_is_reading(client, oauth_on):
    authorize = open_inside_wechat(client, "/me/bind/")
    assert authorize.startswith("https://open.weixin.qq.com/")
    assert client.get("/me/bind/").status_code == 403  # a plain browser: open it from WeChat


def test_the_demo_menus_link_to_my_page_goes_through_oauth(client, oauth_on):
    from weizhi.wechat.simulator.demo import demo_menu

    Follower.objects.create(openid="o-bound", member=member(tree()["first"], "1001"))
    [button] = [
        sub for top in demo_menu() for sub in top.get("sub_button", []) if sub["name"] == "我的"
    ]
    link = urlsplit(button["url"])  # WeChat opens a view button's link in its own browser
    assert (button["type"], link.netloc) == ("view", "127.0.0.1:8000")
    authorize = open_inside_wechat(client, link.path)
    response = through_wechat(client, oauth_on, authorize, "o-bound")
    assert response["Location"] == "/me/"
    assert client.get("/me/", HTTP_USER_AGENT=WECHAT_UA).status_code == 200


def test_a_menu_link_keeps_its_query_through_oauth(client, oauth_on):
    Follower.objects.create(openid="o-bound", member=member(tree()["first"], "1001"))
    authorize = open_inside_wechat(client, "/me/phone/?from=menu")
    response = through_wechat(client, oauth_on, authorize, "o-bound")
    assert response["Location"] == "/me/phone/?from=menu"


def test_an_off_site_next_path_on_the_login_page_is_replaced_by_me(client, oauth_on):
    Follower.objects.create(openid="o-bound", member=member(tree()["first"], "1001"))
    authorize = open_inside_wechat(client, "/me/login/?next=//evil.example/steal")
    response = through_wechat(client, oauth_on, authorize, "o-bound")
    assert response["Location"] == "/me/"


def test_in_a_plain_browser_the_login_page_stays_and_explains_the_bind_message(client, oauth_on):
    response = client.get("/me/", follow=True)
    assert response.redirect_chain == [("/me/login/", 302)]
    page = response.content.decode()
    assert "工号" in page and "发送“绑定”" in page
    assert oauth_on.count("/sns/oauth2/access_token") == 0


def test_inside_wechat_without_oauth_the_login_page_stays(client, account_on_fake):
    response = client.get("/me/phone/", HTTP_USER_AGENT=WECHAT_UA, follow=True)
    assert response.redirect_chain == [("/me/login/?next=%2Fme%2Fphone%2F", 302)]
    assert "发送“绑定”" in response.content.decode()


def test_a_reader_whom_oauth_signed_in_but_who_is_no_member_is_not_sent_round_again(
    client, oauth_on
):
    gone = member(tree()["first"], "1001", active=False)
    Follower.objects.create(openid="o-left", member=gone)
    response = through_wechat(client, oauth_on, open_inside_wechat(client, "/me/"), "o-left")
    assert response["Location"] == "/me/"
    response = client.get("/me/", HTTP_USER_AGENT=WECHAT_UA, follow=True)
    assert response.status_code == 200 and "党员登录" in response.content.decode()


def test_the_password_form_stays_reachable_inside_wechat(client, oauth_on):
    response = client.get("/me/login/", {"with": "password"}, HTTP_USER_AGENT=WECHAT_UA)
    assert response.status_code == 200 and "党员登录" in response.content.decode()
    failed = come_back(client, "made-up", start(client)["state"]).content.decode()
    assert 'href="/me/login/?with=password"' in failed


def test_the_simulated_account_inside_wechat_goes_to_its_own_authorize_page(client):
    as_staff(client)
    authorize = open_inside_wechat(client, "/me/")
    assert authorize.startswith("http://127.0.0.1:8000/wechat/oauth/fake/connect/oauth2/authorize?")


# The simulated account's authorize page lets its user choose whom to be: staff only, and
# whatever a stranger does, no session for an openid they chose.

FAKE_AUTHORIZE = "/wechat/oauth/fake/connect/oauth2/authorize"


def as_staff(client: Client, username: str = "developer", *, simulator: bool = True) -> Client:
    """A user of the admin, who may use the 公众号模拟器 (as 编辑 and 管理员 may) or not.
    Permissions by name: the groups are data that transactional tests flush."""
    user = get_user_model().objects.create_user(username)
    codenames = ["access_admin", "change_replyrule"] if simulator else ["access_admin"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def fake_query(state: str = "made-up", **changes: str) -> dict[str, str]:
    return {
        "appid": SIMULATED_APP_ID,
        "redirect_uri": "http://127.0.0.1:8000" + CALLBACK,
        "response_type": "code",
        "scope": "snsapi_base",
        "state": state,
        **changes,
    }


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
def bound_sim_follower():
    bound = member(tree()["first"], "1001", name="王芳")
    return Follower.objects.create(openid="o-sim-bound", simulated=True, member=bound)


def test_the_simulated_authorize_page_issues_a_stranger_no_code(client, bound_sim_follower):
    for chosen in ({"openid": "o-sim-bound"}, {"any_openid": "o-sim-bound"}, {}):
        response = client.get(FAKE_AUTHORIZE, {**fake_query(), **chosen})
        assert response.status_code == 302, chosen
        assert response["Location"].startswith("/admin/login/?next="), chosen
        assert "o-sim-bound" not in response.content.decode()


def test_staff_without_the_simulators_permission_are_refused(client, bound_sim_follower):
    as_staff(client, simulator=False)
    response = client.get(FAKE_AUTHORIZE, {**fake_query(), "openid": "o-sim-bound"})
    assert response.status_code == 403
    assert "开发者工具" in response.content.decode() and "code=" not in response.get("Location", "")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_stranger_gets_no_session_for_an_openid_of_their_choosing(
    client, settings, live_server, bound_sim_follower
):
    settings.SITE_URL = live_server.url
    forget_account()
    started = client.get(START, {"next": "/me/", "as": "wechat"}, HTTP_USER_AGENT=WECHAT_UA)
    state = query_of(started["Location"]).get("state", "made-up")
    query = fake_query(state, redirect_uri=live_server.url + CALLBACK)
    chosen = client.get(FAKE_AUTHORIZE, {**query, "openid": "o-sim-bound"})
    client.get(f"{CALLBACK}?{urlsplit(chosen['Location']).query}", HTTP_USER_AGENT=WECHAT_UA)
    assert signed_in_openid(client) is None
    assert client.get("/me/").status_code == 302
    forget_account()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_code_the_fake_issued_in_one_browser_is_refused_in_another(
    settings, live_server, bound_sim_follower
):
    settings.SITE_URL = live_server.url
    forget_account()
    issuer, other = as_staff(Client()), as_staff(Client(), "other-developer")
    own_state = query_of(other.get(START, {"next": "/me/", "as": "wechat"})["Location"])["state"]
    authorize = issuer.get(START, {"next": "/me/", "as": "wechat"})["Location"]
    query = query_of(authorize)
    back = issuer.get(FAKE_AUTHORIZE, {**query, "openid": "o-sim-bound"})["Location"]
    response = other.get(CALLBACK, {"code": query_of(back)["code"], "state": own_state})
    assert (
        response.status_code == 400
        and "不是模拟授权页为本浏览器签发的" in response.content.decode()
    )
    assert signed_in_openid(other) is None
    forget_account()


def test_the_simulated_authorize_page_only_sends_codes_to_our_callback(client):
    as_staff(client)
    elsewhere = fake_query(redirect_uri="https://evil.example/wechat/oauth/callback/")
    response = client.get(FAKE_AUTHORIZE, {**elsewhere, "openid": "sim-1"})
    assert response.status_code == 400 and "Location" not in response


def test_the_simulated_authorize_page_speaks_for_simulated_followers_only(client):
    Follower.objects.create(openid="o-real", simulated=False)
    as_staff(client)
    picker = client.get(FAKE_AUTHORIZE, fake_query()).content.decode()
    assert "o-real" not in picker
    for chosen in ({"openid": "o-real"}, {"any_openid": "o-real"}, {"any_openid": "<b>x</b>"}):
        response = client.get(FAKE_AUTHORIZE, {**fake_query(), **chosen})
        assert response.status_code == 400 and "Location" not in response, chosen


def test_a_stranger_inside_wechat_on_the_simulated_account_gets_the_password_form(client):
    response = client.get("/me/", HTTP_USER_AGENT=WECHAT_UA, follow=True)
    assert response.redirect_chain == [("/me/login/", 302)]
    assert "党员登录" in response.content.decode()
    hint = client.get(START, {"next": "/me/", "as": "wechat"}, follow=True).content.decode()
    assert "模拟在微信里打开" not in hint and "登录管理后台" in hint


# JS-SDK config.


@pytest.fixture
def jssdk_on(settings, account_on_fake):
    settings.WECHAT_JSSDK = True
    return account_on_fake


def test_the_jssdk_config_signs_the_pages_url(client, jssdk_on):
    url = "http://127.0.0.1:8000/content/story/?x=1"
    response = client.get(JSSDK, {"url": url + "#top"}, HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 200 and "no-" in response["Cache-Control"]
    config = response.json()
    ticket = Credential.objects.get(kind="jsapi_ticket").value
    expected = jsapi_signature(ticket, config["nonceStr"], config["timestamp"], url)
    assert config["signature"] == expected
    assert config["appId"] == APP_ID and config["jsApiList"] == JS_API_LIST


def test_the_jssdk_config_accepts_a_same_site_referer_when_the_browser_sends_no_fetch_site(
    client, jssdk_on
):
    response = client.get(
        JSSDK,
        {"url": "http://127.0.0.1:8000/"},
        HTTP_REFERER="http://127.0.0.1:8000/",
    )
    assert response.status_code == 200


def test_the_jssdk_config_refuses_other_sites(client, jssdk_on):
    ours = {"url": "http://127.0.0.1:8000/"}
    assert client.get(JSSDK, ours, HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    assert client.get(JSSDK, ours, HTTP_REFERER="https://evil.example/").status_code == 403
    assert client.get(JSSDK, ours).status_code == 403
    theirs = {"url": "https://evil.example/page"}
    assert client.get(JSSDK, theirs, HTTP_SEC_FETCH_SITE="same-origin").status_code == 400
    assert jssdk_on.count("/cgi-bin/ticket/getticket") == 0


def test_the_jssdk_config_is_off_by_default(client, account_on_fake):
    response = client.get(
        JSSDK, {"url": "http://127.0.0.1:8000/"}, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code == 404


def test_the_jssdk_config_is_rate_limited(client, jssdk_on):
    codes = [
        client.get(JSSDK, {"url": "https://evil.example/"}, HTTP_SEC_FETCH_SITE="same-origin")
        for _ in range(61)
    ]
    assert [r.status_code for r in codes[-2:]] == [400, 429]


def test_the_mounted_fake_api_has_no_authorize_page_of_its_own(client):
    response = client.get("/wechat/fake-api/connect/oauth2/authorize", fake_query(openid="o-x"))
    assert response.status_code == 200 and response.json()["errcode"] == 40066
    assert "code=" not in response.content.decode()
