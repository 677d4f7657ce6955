import pytest
from django.core.exceptions import ImproperlyConfigured

from weizhi.env import envbool, envint, envlist


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


def test_envlist_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " a.example, ,b.example ")
    assert envlist("X_HOSTS", []) == ["a.example", "b.example"]


def test_the_site_speaks_chinese_in_shanghai_time(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
