"""The 公众号接入 page: what to paste into WeChat's console, and a live API check."""

import pytest

from tests.base import superuser, user_in

pytestmark = pytest.mark.django_db

URL = "/admin/wechat/connect/"


def test_the_simulated_account_shows_its_callback_url_and_says_it_is_simulated(client):
    client.force_login(superuser())
    page = client.get(URL).content.decode()
    assert "http://127.0.0.1:8000/wechat/callback/" in page
    assert "模拟账号" in page


def test_a_real_accounts_keys_are_masked_and_the_secret_never_shown(client, settings):
    from weizhi.wechat.account import forget_account

    settings.WECHAT_APP_ID = "wxreal000000000001"
    settings.WECHAT_APP_SECRET = "the-real-secret-value"
    settings.WECHAT_TOKEN = "realtoken1234"
    settings.WECHAT_ENCODING_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    forget_account()
    client.force_login(superuser())
    page = client.get(URL).content.decode()
    assert "wxreal000000000001" in page
    assert "realtoken1234" not in page and "1234" in page
    assert "the-real-secret-value" not in page
    assert "abcdefghijklmnopqrstuvwxyz" not in page
    assert "环境变量" in page
    forget_account()


def test_the_api_check_reports_success_against_the_fake(client, account_on_fake):
    client.force_login(superuser())
    response = client.post(URL + "check/", follow=True)
    assert "连接正常" in response.content.decode()


def test_the_api_check_explains_an_ip_whitelist_refusal(client, account_on_fake):
    account_on_fake.fail_next(
        "/cgi-bin/stable_token", 40164, "invalid ip 203.0.113.9, not in whitelist"
    )
    client.force_login(superuser())
    response = client.post(URL + "check/", follow=True)
    page = response.content.decode()
    assert "连接失败" in page and "203.0.113.9" in page


def test_editors_cannot_see_the_account_settings(client):
    client.force_login(user_in("编辑"))
    response = client.get(URL)
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_a_real_account_syncs_its_followers_daily_and_the_simulated_one_does_not(settings):
    from weizhi.core.schedule import default_jobs

    def names() -> set[str]:
        return {job.task.name for job in default_jobs()}

    assert "sync_followers_task" not in names()
    settings.WECHAT_APP_ID = "wxreal000000000001"
    assert "sync_followers_task" in names()


def test_only_the_configured_wechat_domain_check_files_are_served(client, settings):
    settings.WECHAT_VERIFY_CODES = ["Ab12Cd34"]
    response = client.get("/MP_verify_Ab12Cd34.txt")
    assert response.status_code == 200 and response.content == b"Ab12Cd34"
    assert client.get("/MP_verify_Other999.txt").status_code == 404
