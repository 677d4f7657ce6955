"""“天气” in the chat: answered at once from the cache (or when no provider is configured),
otherwise acknowledged at once and answered by a customer-service message once the provider
(a local fake of QWeather) has answered."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from tests import wechat_sender as wx
from tests.fake_weather import QW_KEY, FakeWeather, serve
from weizhi.wechat.models import InboundMessage, ReplyRule
from weizhi.wechat.simulator.demo import RULES

pytestmark = pytest.mark.django_db


@pytest.fixture
def weather_rule(db):
    spec = next(r for r in RULES if r.get("action") == "weather")
    fields = {k: v for k, v in spec.items() if k != "action"}
    return ReplyRule.objects.create(**fields, reply_type="action", action="weather")


@pytest.fixture
def qweather():
    fake = FakeWeather()
    server, url = serve(fake)
    cache.clear()
    with override_settings(
        WEATHER_PROVIDER="qweather",
        QWEATHER_API_HOST=url + "/qw",
        QWEATHER_API_KEY=QW_KEY,
        QWEATHER_JWT="",
        WEATHER_TIMEOUT=1.0,
    ):
        yield fake
    server.shutdown()
    server.server_close()
    cache.clear()


def post(capture, client, message):
    with capture(execute=True):
        return wx.post(client, message)


def test_without_a_provider_the_answer_says_so_at_once(
    client, account_on_fake, weather_rule, settings, django_capture_on_commit_callbacks
):
    settings.WEATHER_PROVIDER = ""
    _, reply = post(django_capture_on_commit_callbacks, client, wx.text("o-w", "天气"))
    assert "天气服务尚未配置" in reply["Content"]
    assert account_on_fake.state.custom_messages == []


def test_a_city_is_acknowledged_then_answered_and_then_served_from_the_cache(
    client, account_on_fake, weather_rule, qweather, django_capture_on_commit_callbacks
):
    account_on_fake.state.add_user("o-w")
    _, reply = post(django_capture_on_commit_callbacks, client, wx.text("o-w", "天气 太原"))
    assert reply["Content"] == "正在查询天气，稍后发给您。"
    sent = account_on_fake.state.custom_messages
    assert len(sent) == 1 and sent[0]["touser"] == "o-w"
    forecast = sent[0]["text"]["content"]
    assert "太原" in forecast and "今天" in forecast
    assert InboundMessage.objects.get().status == InboundMessage.Status.SENT_LATER

    asked = len(qweather.requests)
    _, again = post(django_capture_on_commit_callbacks, client, wx.text("o-w", "天气预报 太原"))
    assert again["Content"] == forecast
    assert len(qweather.requests) == asked
    assert len(account_on_fake.state.custom_messages) == 1


def test_a_provider_that_is_down_gets_a_polite_late_answer(
    client, account_on_fake, weather_rule, qweather, django_capture_on_commit_callbacks
):
    account_on_fake.state.add_user("o-w")
    qweather.mode = "down"
    post(django_capture_on_commit_callbacks, client, wx.text("o-w", "天气 北京"))
    answer = account_on_fake.state.custom_messages[0]["text"]["content"]
    assert answer.startswith("抱歉") and "北京" in answer
