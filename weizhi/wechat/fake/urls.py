"""The fake WeChat API mounted in-process at /wechat/fake-api/, for the simulated account only.

It answers only while weizhi runs with the simulated account (no WECHAT_APP_ID and no AppID in
the admin); for a real account every path is a 404, so the fake can never stand in for WeChat.
Each web process holds its own fake: tokens are valid in all of them (HMAC-signed with the
simulated secret), but the menu, drafts, mass sends, followers and tags a process saw are its
own and are gone when it restarts.
"""

import functools
import threading
from collections.abc import Callable, Iterable

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from weizhi.wechat.account import FAKE_API_PATH, Account, current_account

from . import FakeWeChat
from .wire import request_from_wsgi

_lock = threading.Lock()
_fakes: dict[tuple[str, str], FakeWeChat] = {}


def fake_for(app_id: str, secret: str) -> FakeWeChat:
    with _lock:
        key = (app_id, secret)
        if key not in _fakes:
            _fakes.clear()
            # The demo's followers come from the simulator, not from this fake's memory.
            _fakes[key] = FakeWeChat(app_id, secret, strict_users=False)
        return _fakes[key]


def in_process(account: Account) -> Callable:
    """The simulated account's fake as a WSGI app the API client calls in this process, so
    that its calls never depend on SITE_URL reaching this server."""
    return _mounted(fake_for(account.app_id, account.app_secret))


@functools.lru_cache(maxsize=1)
def _mounted(fake: FakeWeChat) -> Callable:
    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "").split(FAKE_API_PATH, 1)[-1]
        return fake({**environ, "PATH_INFO": path}, start_response)

    return app


@csrf_exempt
def fake_api(request: HttpRequest, path: str) -> HttpResponse:
    account = current_account()
    if not account.simulated:
        raise Http404
    fake = fake_for(account.app_id, account.app_secret)
    environ = {**request.META, "PATH_INFO": "/" + path, "wsgi.input": _Body(request.body)}
    environ["CONTENT_LENGTH"] = str(len(request.body))
    parsed = request_from_wsgi(environ)
    if parsed is None:
        answer = {"errcode": 47001, "errmsg": "data format error"}
    else:
        answer = fake.handle(parsed)
    return HttpResponse(_json(answer), content_type="application/json; encoding=utf-8")


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, size: int = -1) -> bytes:
        return self.data


def _json(answer: dict) -> bytes:
    import json

    return json.dumps(answer, ensure_ascii=False).encode()


urlpatterns = [re_path(r"^(?P<path>.*)$", fake_api, name="wechat-fake-api")]
