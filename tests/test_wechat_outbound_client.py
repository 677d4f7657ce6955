"""The outbound client and the shared token, against the fake WeChat API over HTTP."""

import logging
import os
import threading
from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.fake_wechat_server import SECRET, make_client
from weizhi.wechat.api import menu, messages
from weizhi.wechat.api.errors import NETWORK_ERROR, WeChatAPIError
from weizhi.wechat.api.tokens import TokenStore
from weizhi.wechat.records.models import Credential

TOKEN = "/cgi-bin/stable_token"
MENU_GET = "/cgi-bin/menu/get"
CUSTOM = "/cgi-bin/message/custom/send"

pytest_plugins = ["tests.fake_wechat_server"]


def test_the_token_is_fetched_once_and_reused(wechat, fake_wechat):
    assert menu.get_menu(client=wechat) == []
    assert menu.get_menu(client=wechat) == []
    assert fake_wechat.count(TOKEN) == 1
    row = Credential.objects.get(kind="access_token")
    assert row.expires_at > timezone.now() + timedelta(hours=1)


def test_another_process_uses_the_stored_token(wechat, fake_wechat):
    menu.get_menu(client=wechat)
    other = make_client(fake_wechat, tokens=TokenStore())
    menu.get_menu(client=other)
    assert fake_wechat.count(TOKEN) == 1


def test_the_token_is_refreshed_a_little_before_it_expires(wechat, fake_wechat):
    menu.get_menu(client=wechat)
    Credential.objects.update(expires_at=timezone.now() + timedelta(minutes=4))
    other = make_client(fake_wechat, tokens=TokenStore())
    menu.get_menu(client=other)
    assert fake_wechat.count(TOKEN) == 2


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
def test_a_rejected_token_is_force_refreshed_once_and_the_call_retried(
    wechat, fake_wechat, errcode
):
    menu.get_menu(client=wechat)
    old = Credential.objects.get().value
    fake_wechat.fail_next(MENU_GET, errcode)
    assert menu.get_menu(client=wechat) == []
    assert fake_wechat.count(TOKEN) == 2
    new = Credential.objects.get().value
    assert new != old
    # force_refresh made WeChat drop the old token, as the real one does
    assert fake_wechat.check_token(old) == 40001
    assert fake_wechat.check_token(new) == 0


def test_a_really_expired_token_is_replaced(wechat, fake_wechat):
    menu.get_menu(client=wechat)
    fake_wechat.expire_tokens()
    assert menu.get_menu(client=wechat) == []
    assert fake_wechat.count(TOKEN) == 2


def test_a_token_rejected_twice_is_an_error_not_a_loop(wechat, fake_wechat):
    fake_wechat.fail_next(MENU_GET, 40001, times=2)
    with pytest.raises(WeChatAPIError) as caught:
        menu.get_menu(client=wechat)
    assert caught.value.errcode == 40001
    assert "AppSecret" in caught.value.operator_message
    assert fake_wechat.count(MENU_GET) == 2


def test_system_busy_is_retried_with_growing_pauses(wechat, fake_wechat):
    fake_wechat.fail_next(MENU_GET, -1, times=2)
    assert menu.get_menu(client=wechat) == []
    assert wechat.sleep == [0.5, 1.0]


def test_system_busy_gives_up_after_bounded_retries(wechat, fake_wechat):
    fake_wechat.fail_next(MENU_GET, -1, times=5)
    with pytest.raises(WeChatAPIError) as caught:
        menu.get_menu(client=wechat)
    assert caught.value.errcode == -1
    assert fake_wechat.count(MENU_GET) == 3
    assert "繁忙" in caught.value.operator_message


def test_an_address_outside_the_whitelist_names_the_ip_to_add(wechat, fake_wechat):
    fake_wechat.fail_next(
        TOKEN, 40164, "invalid ip 198.51.100.23 ipv6 ::ffff:198.51.100.23, not in whitelist rid: 1"
    )
    with pytest.raises(WeChatAPIError) as caught:
        menu.get_menu(client=wechat)
    message = caught.value.operator_message
    assert "198.51.100.23" in message and "IP白名单" in message
    assert fake_wechat.count(TOKEN) == 1  # never retried: retrying cannot help


@pytest.mark.parametrize(("errcode", "words"), [(48001, "没有该接口的权限"), (45009, "每日上限")])
def test_permission_and_quota_errors_are_explained_and_not_retried(
    wechat, fake_wechat, errcode, words
):
    fake_wechat.fail_next(CUSTOM, errcode)
    fake_wechat.state.add_user("o-reader")
    with pytest.raises(WeChatAPIError) as caught:
        messages.send_custom_message("o-reader", messages.text_message("你好"), client=wechat)
    assert caught.value.errcode == errcode
    assert words in caught.value.operator_message
    assert fake_wechat.count(CUSTOM) == 1


def test_a_refused_connection_is_retried_then_reported(db, fake_wechat):
    with socket_nobody_listens() as url:
        fake_wechat.url = url
        client = make_client(fake_wechat)
        with pytest.raises(WeChatAPIError) as caught:
            menu.get_menu(client=client)
    assert caught.value.errcode == NETWORK_ERROR
    assert client.sleep == [0.5, 1.0]
    assert "网络" in caught.value.operator_message


def test_a_read_timeout_is_retried_for_an_idempotent_call(db, fake_wechat):
    client = make_client(fake_wechat, timeout=httpx.Timeout(5.0, read=0.3))
    menu.get_menu(client=client)  # token first, without delay
    fake_wechat.delay_next(MENU_GET, 1.0)
    assert menu.get_menu(client=client) == []
    assert fake_wechat.count(MENU_GET) == 3


def test_a_read_timeout_is_not_retried_for_a_message_that_may_have_gone_out(db, fake_wechat):
    fake_wechat.state.add_user("o-reader")
    client = make_client(fake_wechat, timeout=httpx.Timeout(5.0, read=0.3))
    fake_wechat.delay_next(CUSTOM, 1.0)
    with pytest.raises(WeChatAPIError) as caught:
        messages.send_custom_message("o-reader", messages.text_message("一次"), client=client)
    assert caught.value.errcode == NETWORK_ERROR
    assert fake_wechat.count(CUSTOM) == 1


def test_logs_name_the_call_but_never_the_token_or_secret(wechat, fake_wechat, caplog):
    caplog.set_level(logging.INFO, logger="weizhi.wechat.api")
    menu.get_menu(client=wechat)
    token = Credential.objects.get().value
    lines = [record.getMessage() for record in caplog.records]
    assert any("GET /cgi-bin/menu/get errcode=46003" in line for line in lines)
    assert any("POST /cgi-bin/stable_token errcode=0" in line for line in lines)
    assert not any(token in line or SECRET in line for line in lines)


def test_a_wrong_secret_is_explained(db, fake_wechat):
    fake_wechat.secret = "another"
    with pytest.raises(WeChatAPIError) as caught:
        menu.get_menu(client=make_client(fake_wechat))
    assert caught.value.errcode == 40125
    assert "WECHAT_APP_SECRET" in caught.value.operator_message


def _in_threads(*targets):
    errors = []

    def run(target):
        try:
            target()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors


in_memory_sqlite = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="threads on SQLite's shared-cache test database fail fast with 'table is locked'; "
    "see the two-process test below",
)


@in_memory_sqlite
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_threads_asking_at_once_cause_one_stable_token_call(fake_wechat):
    # Two token stores are two processes' memories; the database is what they share.
    clients = [make_client(fake_wechat, tokens=TokenStore()) for _ in range(2)]
    fake_wechat.delay_next(TOKEN, 0.5)
    _in_threads(*(lambda c=c: menu.get_menu(client=c) for c in clients))
    assert fake_wechat.count(TOKEN) == 1
    assert clients[0].tokens.access_token(clients[0]) == clients[1].tokens.access_token(clients[1])


@in_memory_sqlite
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_threads_told_the_token_is_invalid_force_one_refresh(fake_wechat):
    clients = [make_client(fake_wechat, tokens=TokenStore()) for _ in range(2)]
    for client in clients:
        menu.get_menu(client=client)
    fake_wechat.revoke_tokens()
    fake_wechat.delay_next(TOKEN, 0.5)
    _in_threads(*(lambda c=c: menu.get_menu(client=c) for c in clients))
    assert fake_wechat.count(TOKEN) == 2  # the first fetch and one forced refresh


class socket_nobody_listens:
    """An address on 127.0.0.1 with nothing listening (bound, then closed)."""

    def __enter__(self) -> str:
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc) -> None:
        return None


# Run by each child process: wait for "go" so both ask at the same moment, then get a token.
CHILD = """
import sys, django
django.setup()
import httpx
from tests.fake_wechat_server import make_account
from weizhi.wechat.api.client import WeChatClient
from weizhi.wechat.api.tokens import TokenStore
client = WeChatClient(make_account(sys.argv[1]), http=httpx.Client(), tokens=TokenStore())
print("ready", flush=True)
sys.stdin.readline()
print(client.tokens.access_token(client), flush=True)
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite file case")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_processes_on_one_sqlite_file_cause_one_stable_token_call(fake_wechat, tmp_path):
    import sqlite3
    import subprocess
    import sys

    Credential.objects.all().delete()
    connection.ensure_connection()
    target = sqlite3.connect(tmp_path / "weizhi.sqlite3")
    connection.connection.backup(target)  # the migrated test database
    # In WAL mode already, as migrate leaves a real database: two children switching a
    # rollback-journal file to WAL at once can deadlock on the lock upgrade, and SQLite then
    # answers one of them "database is locked" without waiting.
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    env = {
        **os.environ,
        "WEIZHI_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "weizhi.settings",
    }
    env.pop("DATABASE_URL", None)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, fake_wechat.url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=str(settings.BASE_DIR),
        )
        for _ in range(2)
    ]
    for child in children:
        assert child.stdout.readline().strip() == "ready"
    fake_wechat.delay_next(TOKEN, 0.5)
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    tokens = [child.communicate(timeout=60)[0].strip() for child in children]
    assert tokens[0] == tokens[1] != ""
    assert fake_wechat.count(TOKEN) == 1
