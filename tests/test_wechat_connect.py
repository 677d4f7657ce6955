"""The 公众号接入 page: what to paste into WeChat's console, and a live API check."""

import re

import pytest

from tests.base import superuser, user_in

pytestmark = pytest.mark.django_db

URL = "/admin/wechat/connect/"
SETTINGS_FORM = {
    "app_id": "",
    "original_id": "",
    "token": "",
    "encoding_aes_key": "",
    "previous_aes_key": "",
    "message_mode": "",
    "api_base": "",
}


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


# The original id (原始ID).


def test_the_simulated_account_has_a_stable_original_id_of_its_own(client):
    from weizhi.wechat.account import current_account, forget_account

    first = current_account().original_id
    forget_account()
    assert current_account().original_id == first
    assert re.fullmatch(r"gh_[0-9a-f]{12}", first)
    client.force_login(superuser())
    assert first in client.get(URL).content.decode()


def test_a_real_accounts_original_id_comes_from_the_environment_or_the_admin(client, settings):
    from weizhi.wechat.account import current_account, forget_account
    from weizhi.wechat.models import AccountSettings

    settings.WECHAT_APP_ID = "wxreal000000000001"
    settings.WECHAT_ORIGINAL_ID = "gh_3dfda90e39d6"
    forget_account()
    client.force_login(superuser())
    row = re.search(r"<tr><th>原始ID</th>.*?</tr>", client.get(URL).content.decode()).group()
    assert "gh_3dfda90e39d6" in row and "环境变量" in row
    overrides = AccountSettings.load()
    overrides.original_id = "gh_114e76fd6e5d"
    overrides.save()
    assert current_account().original_id == "gh_114e76fd6e5d"
    row = re.search(r"<tr><th>原始ID</th>.*?</tr>", client.get(URL).content.decode()).group()
    assert "gh_114e76fd6e5d" in row and "管理后台" in row


def test_a_real_account_without_an_original_id_says_where_to_find_it(client, settings):
    from weizhi.wechat.account import forget_account

    settings.WECHAT_APP_ID = "wxreal000000000001"
    forget_account()
    client.force_login(superuser())
    row = re.search(r"<tr><th>原始ID</th>.*?</tr>", client.get(URL).content.decode()).group()
    assert "未设置" in row and "注册信息" in row and "WECHAT_ORIGINAL_ID" in row


def settings_url() -> str:
    from weizhi.wechat.models import AccountSettings

    return f"/admin/settings/wechat/accountsettings/{AccountSettings.load().pk}/"


@pytest.mark.parametrize(
    "value", ["gh_3dfda90e39d", "wx3dfda90e39d6", "GH_3dfda90e39d6", "gh_3dfd-90e39d6"]
)
def test_the_admin_refuses_an_original_id_that_is_not_wechats_format(client, value):
    from weizhi.wechat.models import AccountSettings

    client.force_login(superuser())
    response = client.post(settings_url(), {**SETTINGS_FORM, "original_id": value})
    assert response.status_code == 200
    assert "原始ID应为 gh_ 加 12 位字母或数字" in response.content.decode()
    assert AccountSettings.load().original_id == ""


def test_the_admin_saves_a_well_formed_original_id(client):
    from weizhi.wechat.models import AccountSettings

    client.force_login(superuser())
    response = client.post(settings_url(), {**SETTINGS_FORM, "original_id": "gh_3dfda90e39d6"})
    assert response.status_code == 302
    assert AccountSettings.load().original_id == "gh_3dfda90e39d6"
