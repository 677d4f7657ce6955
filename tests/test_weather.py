"""Weather through local fakes of QWeather and Open-Meteo: answers, cache, and every way a
provider fails (down, slow, refused, unreadable, unconfigured) ending in a polite sentence."""

import time

import pytest
from django.core.cache import cache
from django.test import override_settings

from tests.fake_weather import QW_JWT, QW_KEY, FakeWeather, serve
from weizhi.weather.services import city_in, forecast_for, weather_answer


@pytest.fixture
def fake():
    fake = FakeWeather()
    server, url = serve(fake)
    fake.url = url
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def qweather(fake):
    with override_settings(
        WEATHER_PROVIDER="qweather",
        QWEATHER_API_HOST=fake.url + "/qw",
        QWEATHER_API_KEY=QW_KEY,
        QWEATHER_JWT="",
        WEATHER_TIMEOUT=1.0,
    ):
        yield fake


@pytest.fixture
def open_meteo(fake):
    with override_settings(
        WEATHER_PROVIDER="open-meteo",
        OPEN_METEO_FORECAST_URL=fake.url + "/om/v1/forecast",
        OPEN_METEO_GEOCODING_URL=fake.url + "/om/v1/search",
        WEATHER_TIMEOUT=1.0,
    ):
        yield fake


def test_qweather_gives_today_and_the_next_three_days(qweather):
    answer = weather_answer("天气 太原")
    lines = answer.splitlines()
    assert lines[0] == "太原天气"
    assert lines[1] == "现在晴 -2℃，湿度21%，西北风3级"
    assert lines[2].startswith("今天（") and lines[2].endswith("晴 -8~3℃")
    assert lines[3].startswith("明天（") and "多云转晴 -9~2℃" in lines[3]
    assert lines[4].startswith("后天（") and "小雪转阴" in lines[4]
    assert lines[5].startswith("周")
    assert lines[-1] == "数据来源：和风天气"
    paths = [p for p, _, _ in qweather.requests]
    assert paths == ["/qw/geo/v2/city/lookup", "/qw/v7/weather/now", "/qw/v7/weather/7d"]
    assert qweather.requests[1][1]["location"] == "101100101"
    assert qweather.requests[1][2]["x-qw-api-key"] == QW_KEY


def test_qweather_signs_with_a_jwt_when_one_is_set(qweather):
    with override_settings(QWEATHER_API_KEY="", QWEATHER_JWT=QW_JWT):
        assert weather_answer("天气").startswith("北京天气\n现在晴")
    assert qweather.requests[0][2]["authorization"] == f"Bearer {QW_JWT}"


def test_a_qweather_location_id_is_used_without_a_lookup(qweather):
    forecast = forecast_for("101010100")
    assert forecast.now_temp == -2
    assert qweather.requests[0][0] == "/qw/v7/weather/now"


def test_open_meteo_gives_today_and_the_next_three_days_in_chinese(open_meteo):
    lines = weather_answer("北京天气").splitlines()
    assert lines[0] == "北京天气"
    assert lines[1] == "现在阴 2℃，湿度45%，风速11公里/时"
    assert "阴 -3~5℃" in lines[2]
    assert "小雨 -1~3℃" in lines[3]
    assert "小雪 -6~0℃" in lines[4]
    assert lines[-1] == "数据来源：Open-Meteo"
    search, forecast = open_meteo.requests
    assert search[0] == "/om/v1/search" and search[1]["name"] == "北京"
    assert forecast[1]["forecast_days"] == "4" and forecast[1]["timezone"] == "Asia/Shanghai"


@pytest.mark.parametrize("provider", ["qweather", "open_meteo"])
def test_a_place_is_asked_for_once_in_thirty_minutes(provider, request):
    fake = request.getfixturevalue(provider)
    first = weather_answer("天气 北京")
    asked = len(fake.requests)
    assert weather_answer("天气  北京") == first
    assert len(fake.requests) == asked
    cache.clear()
    weather_answer("天气 北京")
    assert len(fake.requests) == 2 * asked


@pytest.mark.parametrize("provider", ["qweather", "open_meteo"])
def test_an_unknown_place_is_answered_politely(provider, request):
    request.getfixturevalue(provider)
    assert weather_answer("天气 火星基地") == (
        "抱歉，没有找到“火星基地”的天气。请发送“天气 城市名”，如“天气 北京”。"
    )


@pytest.mark.parametrize("provider", ["qweather", "open_meteo"])
def test_a_provider_that_is_down_gets_a_polite_answer(provider, request, caplog):
    fake = request.getfixturevalue(provider)
    fake.mode = "down"
    assert (
        weather_answer("天气")
        == "抱歉，天气服务返回的内容无法识别，暂时查不到北京的天气，请稍后再试。"
    )
    assert "unavailable" in caplog.text


@pytest.mark.parametrize("provider", ["qweather", "open_meteo"])
def test_a_slow_provider_is_given_up_on_after_the_timeout(provider, request):
    fake = request.getfixturevalue(provider)
    fake.mode, fake.delay = "slow", 3.0
    started = time.monotonic()
    assert weather_answer("天气") == "抱歉，天气服务响应太慢，暂时查不到北京的天气，请稍后再试。"
    assert time.monotonic() - started < 2.5
    # The failure is remembered for a minute: the next question does not wait again.
    fake.mode = ""
    started = time.monotonic()
    assert "响应太慢" in weather_answer("天气")
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("provider", ["qweather", "open_meteo"])
def test_an_unreadable_answer_is_not_a_crash(provider, request):
    request.getfixturevalue(provider).mode = "garbage"
    assert "天气服务返回的内容无法识别" in weather_answer("天气")


def test_a_refused_qweather_key_says_the_account_is_wrong_in_both_error_versions(qweather):
    qweather.mode = "denied"
    assert (
        weather_answer("天气") == "抱歉，天气服务的账号设置有误，暂时查不到北京的天气，请稍后再试。"
    )
    cache.clear()
    qweather.mode = "denied-v1"
    assert "天气服务的账号设置有误" in weather_answer("天气")
    cache.clear()
    qweather.mode = "quota-v1"
    assert "查询次数已用完" in weather_answer("天气")


def test_a_qweather_location_id_it_does_not_know_is_not_found(qweather):
    assert weather_answer("天气 999").startswith("抱歉，没有找到“999”")


def test_an_unreachable_provider_gets_a_polite_answer():
    with override_settings(
        WEATHER_PROVIDER="open-meteo",
        OPEN_METEO_GEOCODING_URL="http://127.0.0.1:9/v1/search",
        OPEN_METEO_FORECAST_URL="http://127.0.0.1:9/v1/forecast",
    ):
        assert (
            weather_answer("天气") == "抱歉，暂时连不上天气服务，暂时查不到北京的天气，请稍后再试。"
        )


@pytest.mark.parametrize(
    "settings_",
    [
        {"WEATHER_PROVIDER": ""},
        {"WEATHER_PROVIDER": "qweather", "QWEATHER_API_HOST": "", "QWEATHER_API_KEY": "k"},
        {"WEATHER_PROVIDER": "qweather", "QWEATHER_API_HOST": "h", "QWEATHER_API_KEY": ""},
    ],
)
def test_an_unconfigured_provider_says_so(settings_):
    with override_settings(QWEATHER_JWT="", **settings_):
        assert (
            weather_answer("天气 上海")
            == "抱歉，天气服务尚未配置，暂时查不到上海的天气，请稍后再试。"
        )


def test_the_city_is_read_from_the_message():
    assert city_in("天气") == ""
    assert city_in("天气 太原") == "太原"
    assert city_in("太原天气") == "太原"
    assert city_in("天气预报  太原 ") == "太原"
    assert len(city_in("天气 " + "长" * 200)) == 20


@pytest.mark.django_db
def test_the_widget_shows_the_default_city_from_the_cache(client, qweather):
    with override_settings(WEATHER_DEFAULT_CITY="太原"):
        response = client.get("/weather/widget")
        assert response.status_code == 200
        text = response.content.decode()
        assert "太原" in text and "-2℃" in text and "今天" in text and "和风天气" in text
        asked = len(qweather.requests)
        assert client.get("/weather/widget").status_code == 200
        assert len(qweather.requests) == asked


@pytest.mark.django_db
def test_the_widget_says_politely_when_the_provider_is_down(client, open_meteo):
    open_meteo.mode = "down"
    response = client.get("/weather/widget")
    assert response.status_code == 200
    assert "北京天气：抱歉，天气服务返回的内容无法识别，请稍后再看。" in response.content.decode()


@pytest.mark.django_db
def test_the_widget_shows_a_placeholder_while_another_request_asks_the_provider(client, open_meteo):
    cache.add("weather:fetching:北京", 1, 10)
    response = client.get("/weather/widget")
    assert response.status_code == 202
    assert "天气加载中" in response.content.decode()
    assert open_meteo.requests == []
    cache.delete("weather:fetching:北京")
    response = client.get("/weather/widget")
    assert response.status_code == 200 and "2℃" in response.content.decode()


@pytest.mark.django_db
def test_the_home_page_holds_the_weather_box_but_never_asks_a_provider(client, home, qweather):
    response = client.get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-weather-url="/weather/widget"' in text
    assert "weather/widget.js" in text
    assert qweather.requests == []
