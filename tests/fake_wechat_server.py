"""Fixtures: the fake WeChat API over real HTTP on 127.0.0.1, and a client pointed at it."""

import httpx
import pytest
from django.test import override_settings

from weizhi.wechat.account import Account, forget_account
from weizhi.wechat.api.client import WeChatClient
from weizhi.wechat.api.tokens import TokenStore, default_store
from weizhi.wechat.fake import FakeWeChat, serve
from weizhi.wechat.protocol import Mode

APP_ID = "wxtestaccount0001"
SECRET = "test-app-secret-不要外传"


@pytest.fixture
def fake_wechat():
    fake = FakeWeChat(APP_ID, SECRET)
    server, url = serve(fake)
    fake.url = url
    yield fake
    server.shutdown()
    server.server_close()


def make_account(api_base: str) -> Account:
    return Account(
        app_id=APP_ID,
        app_secret=SECRET,
        token="callbacktoken",
        aes_key="",
        previous_aes_key="",
        mode=Mode.PLAIN,
        api_base=api_base,
        simulated=False,
    )


class Sleeps(list):
    """Records the client's backoff pauses instead of waiting them out."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(fake: FakeWeChat, tokens: TokenStore | None = None, **kw) -> WeChatClient:
    return WeChatClient(
        make_account(fake.url),
        http=httpx.Client(),
        tokens=tokens or TokenStore(),
        sleep=Sleeps(),
        **kw,
    )


@pytest.fixture
def wechat(db, fake_wechat) -> WeChatClient:
    return make_client(fake_wechat)


@pytest.fixture
def account_on_fake(db, fake_wechat):
    """The configured account is a real-looking one whose API base is the fake."""
    with override_settings(
        WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=SECRET, WECHAT_API_BASE=fake_wechat.url
    ):
        forget_account()
        default_store.forget()
        yield fake_wechat
    forget_account()
    default_store.forget()
