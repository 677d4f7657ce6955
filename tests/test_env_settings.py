import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from weizhi.env import envbool, envfloat, envint, envlist


def test_envbool_reads_the_usual_spellings(monkeypatch):
    monkeypatch.setenv("X_FLAG", "Yes")
    assert envbool("X_FLAG") is True
    monkeypatch.setenv("X_FLAG", "off")
    assert envbool("X_FLAG", True) is False


def test_envbool_rejects_a_value_it_does_not_understand(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        envbool("X_FLAG")


def test_envint_rejects_words_and_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("X_NUM", "eight")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        envint("X_NUM", 1)
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        envint("X_NUM", 1, minimum=1)


def test_envint_falls_back_to_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("X_NUM", raising=False)
    assert envint("X_NUM", 7) == 7


def test_envfloat_reads_a_share_and_rejects_words_and_values_out_of_range(monkeypatch):
    monkeypatch.setenv("X_SHARE", "0.25")
    assert envfloat("X_SHARE", 1.0, minimum=0.0, maximum=1.0) == 0.25
    monkeypatch.setenv("X_SHARE", "half")
    with pytest.raises(ImproperlyConfigured, match="X_SHARE must be a number"):
        envfloat("X_SHARE", 1.0, minimum=0.0, maximum=1.0)
    monkeypatch.setenv("X_SHARE", "1.5")
    with pytest.raises(ImproperlyConfigured, match=r"between 0\.0 and 1\.0"):
        envfloat("X_SHARE", 1.0, minimum=0.0, maximum=1.0)
    monkeypatch.delenv("X_SHARE")
    assert envfloat("X_SHARE", 1.0, minimum=0.0, maximum=1.0) == 1.0


def test_envlist_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " a.example, ,b.example ")
    assert envlist("X_HOSTS", []) == ["a.example", "b.example"]


def test_the_site_speaks_chinese_in_shanghai_time(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"


def _settings_with(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with `env`, as a deployment would."""
    return subprocess.run(
        [sys.executable, "-c", "import weizhi.settings"],
        env={**os.environ, "SECRET_KEY": "settings-test", **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"WECHAT_MESSAGE_MODE": "secret"}, "WECHAT_MESSAGE_MODE"),
        ({"WECHAT_ENCODING_AES_KEY": "too-short"}, "WECHAT_ENCODING_AES_KEY"),
        ({"WECHAT_APP_ID": "wx1234567890"}, "WECHAT_APP_SECRET"),
        ({"WECHAT_ORIGINAL_ID": "gh_short"}, "WECHAT_ORIGINAL_ID"),
        ({"WECHAT_ORIGINAL_ID": "wx3dfda90e39d6"}, "WECHAT_ORIGINAL_ID"),
    ],
)
def test_a_wrong_wechat_setting_stops_the_start_with_a_clear_message(env, complaint):
    started = _settings_with(env)
    assert started.returncode != 0
    assert complaint in started.stderr


def test_a_complete_wechat_account_configuration_is_accepted():
    env = {
        "WECHAT_APP_ID": "wx1234567890",
        "WECHAT_APP_SECRET": "s",
        "WECHAT_TOKEN": "t",
        "WECHAT_ENCODING_AES_KEY": "a" * 43,
        "WECHAT_MESSAGE_MODE": "safe",
        "WECHAT_ORIGINAL_ID": "gh_3dfda90e39d6",
    }
    assert _settings_with(env).returncode == 0


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be line or json"),
        ({"ACCESS_LOG_SAMPLE": "2"}, "ACCESS_LOG_SAMPLE must be between"),
        ({"ACCESS_LOG_SLOW_MS": "-1"}, "ACCESS_LOG_SLOW_MS must be at least 0"),
    ],
)
def test_a_wrong_log_setting_stops_the_start_with_a_clear_message(env, complaint):
    started = _settings_with(env)
    assert started.returncode != 0
    assert complaint in started.stderr
