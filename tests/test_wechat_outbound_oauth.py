"""snsapi_base OAuth: the authorize URL and the code-for-openid exchange against the fake."""

from urllib.parse import parse_qs, urlparse

import pytest

from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.api.oauth import authorize_url, openid_for_code

pytest_plugins = ["tests.fake_wechat_server"]


def test_the_authorize_url_follows_wechats_format():
    url = authorize_url("wx123", "https://h5.example.org/me/?next=/quiz", state="s1")
    parsed = urlparse(url)
    assert parsed.netloc == "open.weixin.qq.com" and parsed.fragment == "wechat_redirect"
    query = parse_qs(parsed.query)
    assert query["redirect_uri"] == ["https://h5.example.org/me/?next=/quiz"]
    assert query["scope"] == ["snsapi_base"] and query["response_type"] == ["code"]
    assert list(query) == ["appid", "redirect_uri", "response_type", "scope", "state"]


def test_a_code_gives_the_openid_once(wechat, fake_wechat):
    code = fake_wechat.state.oauth_code("o-reader")
    assert openid_for_code(code, client=wechat) == "o-reader"
    with pytest.raises(WeChatAPIError) as caught:
        openid_for_code(code, client=wechat)
    assert caught.value.errcode == 40163


def test_a_made_up_code_is_refused(wechat):
    with pytest.raises(WeChatAPIError) as caught:
        openid_for_code("guess", client=wechat)
    assert caught.value.errcode == 40029
