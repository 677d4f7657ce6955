"""The weather for a place, as the reader site and the WeChat answer use it.

`forecast_for(city)` asks the configured provider at most once per place per
WEATHER_CACHE_SECONDS (the answer is cached, a failure for a minute, so a provider that is
down is not asked on every message). `weather_answer(text)` is the whole answer to "天气" or
"天气 城市名": today and the next three days, or a polite sentence; it never raises.
`cached_forecast(city)` reads the cache only, for the widget, which must never wait.
"""

import hashlib
import logging
from datetime import date

import httpx
from django.conf import settings
from django.core.cache import cache

from weizhi.weather.openmeteo import OpenMeteo
from weizhi.weather.providers import Forecast, PlaceNotFound, Provider, WeatherUnavailable
from weizhi.weather.qweather import QWeather

log = logging.getLogger(__name__)

DAYS = 4  # today and the next three
FAILURE_SECONDS = 60
MAX_CITY_LENGTH = 20
WEEKDAYS = "一二三四五六日"


def provider(client: httpx.Client) -> Provider:
    """The provider the settings name, or WeatherUnavailable when none is configured."""
    name = settings.WEATHER_PROVIDER
    if name == "qweather":
        return QWeather(
            settings.QWEATHER_API_HOST,
            key=settings.QWEATHER_API_KEY,
            jwt=settings.QWEATHER_JWT,
            client=client,
        )
    if name == "open-meteo":
        return OpenMeteo(
            settings.OPEN_METEO_FORECAST_URL, settings.OPEN_METEO_GEOCODING_URL, client=client
        )
    raise WeatherUnavailable("天气服务尚未配置", "WEATHER_PROVIDER is empty")


def _key(city: str) -> str:
    digest = hashlib.sha256(f"{settings.WEATHER_PROVIDER}:{city}".encode()).hexdigest()[:24]
    return f"weather:{digest}"


def cached_forecast(city: str) -> Forecast | WeatherUnavailable | None:
    """What the cache holds for the place: a forecast, a recent failure, or nothing."""
    entry = cache.get(_key(city))
    if entry is None:
        return None
    if "failed" in entry:
        return WeatherUnavailable(entry["failed"])
    return Forecast.from_dict(entry)


def forecast_for(city: str) -> Forecast:
    """The forecast for the place (cached), or WeatherUnavailable with a Chinese reason."""
    city = city.strip()[:MAX_CITY_LENGTH] or settings.WEATHER_DEFAULT_CITY
    held = cached_forecast(city)
    if isinstance(held, Forecast):
        return held
    if isinstance(held, WeatherUnavailable):
        raise held
    timeout = httpx.Timeout(settings.WEATHER_TIMEOUT)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            result = provider(client).forecast(city, DAYS)
    except WeatherUnavailable as error:
        log.warning(
            "weather for %r from %r unavailable: %s",
            city,
            settings.WEATHER_PROVIDER,
            error.detail,
        )
        seconds = settings.WEATHER_CACHE_SECONDS if isinstance(error, PlaceNotFound) else 0
        cache.set(_key(city), {"failed": error.reason}, seconds or FAILURE_SECONDS)
        raise
    cache.set(_key(city), result.to_dict(), settings.WEATHER_CACHE_SECONDS)
    return result


def day_label(day: date, today: date) -> str:
    names = {0: "今天", 1: "明天", 2: "后天"}
    offset = (day - today).days
    return names.get(offset, f"周{WEEKDAYS[day.weekday()]}")


def forecast_text(forecast: Forecast, today: date | None = None) -> str:
    today = today or (forecast.days[0].day if forecast.days else date.today())
    lines = [f"{forecast.place}天气"]
    now = f"现在{forecast.now_text} {forecast.now_temp}℃"
    if forecast.humidity is not None:
        now += f"，湿度{forecast.humidity}%"
    if forecast.wind:
        now += f"，{forecast.wind}"
    lines.append(now)
    for day in forecast.days[:DAYS]:
        label = day_label(day.day, today)
        lines.append(f"{label}（{day.day.month}月{day.day.day}日）{day.text} {day.low}~{day.high}℃")
    lines.append(f"数据来源：{forecast.provider}")
    return "\n".join(lines)


def city_in(text: str) -> str:
    """The city in "天气 城市名" (or "城市名天气"); empty for plain "天气"."""
    text = " ".join(text.split())
    for word in ("天气预报", "天气"):
        text = text.replace(word, " ")
    return text.strip()[:MAX_CITY_LENGTH]


def weather_answer(text: str = "") -> str:
    """The reply to "天气" / "天气 城市名": never raises, never longer than a screen."""
    city = city_in(text) or settings.WEATHER_DEFAULT_CITY
    try:
        return forecast_text(forecast_for(city))
    except PlaceNotFound:
        return f"抱歉，没有找到“{city}”的天气。请发送“天气 城市名”，如“天气 北京”。"
    except WeatherUnavailable as error:
        return f"抱歉，{error.reason}，暂时查不到{city}的天气，请稍后再试。"
    except Exception:
        log.exception("weather answer for %r failed", city)
        return f"抱歉，暂时查不到{city}的天气，请稍后再试。"
