"""What every weather provider gives: a place, the weather now and the days ahead.

A provider turns a city name (or its own location id) into a Forecast, or raises
WeatherUnavailable with a reason in Chinese that can be shown as it is. Nothing here knows
Django; the providers are plain classes over an httpx client, so tests point them at local
fakes.
"""

from dataclasses import dataclass
from datetime import date
from typing import Protocol

import httpx


class WeatherUnavailable(Exception):
    """The provider could not answer; `reason` is for the person asking, in Chinese."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail or reason


class PlaceNotFound(WeatherUnavailable):
    pass


@dataclass(frozen=True)
class Day:
    day: date
    text: str  # 多云 / 晴转小雨
    low: int
    high: int


@dataclass(frozen=True)
class Forecast:
    place: str
    provider: str
    now_text: str
    now_temp: int
    humidity: int | None
    wind: str
    days: tuple[Day, ...]  # today first

    def to_dict(self) -> dict:
        return {
            "place": self.place,
            "provider": self.provider,
            "now_text": self.now_text,
            "now_temp": self.now_temp,
            "humidity": self.humidity,
            "wind": self.wind,
            "days": [[d.day.isoformat(), d.text, d.low, d.high] for d in self.days],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Forecast":
        days = tuple(Day(date.fromisoformat(d), t, lo, hi) for d, t, lo, hi in data["days"])
        return cls(**{**data, "days": days})


class Provider(Protocol):
    name: str  # shown to readers: 和风天气 / Open-Meteo

    def forecast(self, city: str, days: int = 4) -> Forecast: ...


def get_json(client: httpx.Client, url: str, params: dict, headers: dict | None = None) -> dict:
    """One GET that answers a JSON object, or WeatherUnavailable naming what went wrong."""
    try:
        response = client.get(url, params=params, headers=headers or {})
    except httpx.TimeoutException as error:
        raise WeatherUnavailable("天气服务响应太慢", f"timeout: {url}: {error!r}") from None
    except httpx.HTTPError as error:
        raise WeatherUnavailable("暂时连不上天气服务", f"{url}: {error!r}") from None
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise WeatherUnavailable(
            "天气服务返回的内容无法识别", f"{url}: HTTP {response.status_code}, not a JSON object"
        )
    data["_http_status"] = response.status_code
    return data


def to_int(value: object) -> int:
    try:
        return round(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise WeatherUnavailable("天气服务返回的内容无法识别", f"not a number: {value!r}") from None
